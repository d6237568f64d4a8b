package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// The reference for every test here is what kubectl runs: sigs.k8s.io/yaml
// for one document, and apimachinery's YAMLOrJSONDecoder (the reader
// kubectl's resource builder uses, which cuts a stream into documents and
// converts each with sigs.k8s.io/yaml) for a whole file.

// canonicalJSON re-encodes JSON with sorted keys and numbers kept as
// written, so that two encodings of the same value compare byte-equal
// while 1 and 1.0, or true and "true", still differ. kguard's fast path
// writes keys in document order and does not escape HTML characters;
// encoding/json (sigs.k8s.io/yaml's writer) sorts keys and escapes them.
func canonicalJSON(b []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return json.Marshal(v)
}

// kguardDocument converts one document as readDocuments does: the fast
// path, or convertDocument when it falls back.
func kguardDocument(doc []byte) (js []byte, fast bool, err error) {
	var p fastParser
	out, _, _, err := p.convert(nil, doc)
	if err == errFallback {
		out, err = convertDocument(nil, doc)
		return out, false, err
	}
	return out, err == nil, err
}

// jsonDepth is the nesting depth of a JSON text.
func jsonDepth(b []byte) int {
	depth, most, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			most = max(most, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return most
}

// boundError reports whether kguard's error is one of its own deliberate
// refusals of a document kubectl reads: nesting beyond MaxDepth (checked
// against the reference's JSON), or keys that kubectl keeps at random.
func boundError(err error, want []byte) bool {
	var kc *keyCollisionError
	return errors.Is(err, errTooDeep) && jsonDepth(want) > MaxDepth || errors.As(err, &kc)
}

// compareDocument returns "" when two readings of a document agree: the
// same canonical JSON, or an error from both.
func compareDocument(got []byte, gerr error, want []byte, werr error) string {
	switch {
	case gerr != nil && werr != nil:
		return ""
	case gerr != nil:
		if boundError(gerr, want) {
			return ""
		}
		return fmt.Sprintf("kguard fails (%v) where sigs.k8s.io/yaml reads %s", gerr, want)
	case werr != nil:
		return fmt.Sprintf("kguard reads %s where sigs.k8s.io/yaml fails (%v)", got, werr)
	}
	cg, err := canonicalJSON(got)
	if err != nil {
		return fmt.Sprintf("kguard wrote invalid JSON %s: %v", got, err)
	}
	cw, err := canonicalJSON(want)
	if err != nil {
		return fmt.Sprintf("sigs.k8s.io/yaml wrote invalid JSON %s: %v", want, err)
	}
	if !bytes.Equal(cg, cw) {
		return fmt.Sprintf("kguard reads %s, sigs.k8s.io/yaml reads %s", cg, cw)
	}
	return ""
}

type docOutcome struct {
	fast   bool // the fast path read it
	failed bool // both readings failed
}

// checkDocumentParity reads one document (as splitDocuments cut it) both
// ways. The fast path's JSON must equal sigs.k8s.io/yaml's after
// canonicalisation; the fallback's must equal it byte for byte.
func checkDocumentParity(t testing.TB, name string, doc []byte) docOutcome {
	t.Helper()
	got, fast, gerr := kguardDocument(doc)
	want, werr := sigsyaml.YAMLToJSON(doc)
	if msg := compareDocument(got, gerr, want, werr); msg != "" {
		t.Errorf("%s (fast path: %v): %s\nyaml: %q", name, fast, msg, doc)
	} else if !fast && gerr == nil && !bytes.Equal(got, want) {
		t.Errorf("%s: the fallback wrote %s, sigs.k8s.io/yaml %s\nyaml: %q", name, got, want, doc)
	}
	return docOutcome{fast: fast, failed: gerr != nil && werr != nil}
}

// streamItem is one document of a file: its JSON or the error it gave.
type streamItem struct {
	js  []byte
	err error
}

// kubectlStream reads a file as kubectl's resource builder does
// (k8s.io/cli-runtime's StreamVisitor): apimachinery's YAMLOrJSONDecoder
// into RawExtensions, skipping empty and null documents, stopping at the
// first error.
func kubectlStream(data []byte) []streamItem {
	var items []streamItem
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for range 1 << 20 {
		var ext runtime.RawExtension
		err := d.Decode(&ext)
		if err == io.EOF {
			break
		}
		if err != nil {
			return append(items, streamItem{err: err})
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		items = append(items, streamItem{js: raw})
	}
	return items
}

// kguardStream reads a file's YAML documents as DecodeFile does, up to
// the JSON of each (no typed decoding).
func kguardStream(data []byte) []streamItem {
	var items []streamItem
	readDocuments("f.yaml", data, func(_ int, js []byte, _, _ string) error {
		items = append(items, streamItem{js: bytes.Clone(js)})
		return nil
	}, func(e *InputError) {
		items = append(items, streamItem{err: e})
	})
	return items
}

// checkStreamParity reads a whole file both ways. kguard must read the
// same documents as kubectl, in order, with the same JSON; where kubectl
// stops at an error kguard must report an error too (it then goes on:
// kubectl stops reading the file, kguard still scans the rest). Streams
// that start like JSON are left out: kubectl tries them as JSON first,
// which is not YAML reading.
func checkStreamParity(t testing.TB, name string, data []byte) {
	t.Helper()
	if isJSONStream(data) {
		return
	}
	want, got := kubectlStream(data), kguardStream(data)
	for i, w := range want {
		if i >= len(got) {
			t.Errorf("%s: kubectl reads document %d (%s, error %v), kguard has only %d\nyaml: %q", name, i+1, w.js, w.err, len(got), data)
			return
		}
		g := got[i]
		if w.err != nil {
			if g.err == nil {
				t.Errorf("%s: kubectl stops at document %d with %v, kguard reads %s\nyaml: %q", name, i+1, w.err, g.js, data)
			}
			return
		}
		if msg := compareDocument(g.js, g.err, w.js, nil); msg != "" {
			t.Errorf("%s: document %d: %s\nyaml: %q", name, i+1, msg, data)
			return
		}
	}
	if len(got) > len(want) {
		t.Errorf("%s: kguard reads %d documents, kubectl %d (next: %s, error %v)\nyaml: %q", name, len(got), len(want), got[len(want)].js, got[len(want)].err, data)
	}
}

// eachDocument calls fn with every document of data as readDocuments
// hands it to the converters.
func eachDocument(data []byte, fn func(doc []byte)) {
	splitDocuments(data, func(doc []byte, _, _ int) { fn(kubectlLines(doc)) }, func(int, error) {})
}

// manifestFiles returns every YAML file under the repository root that
// names an apiVersion: examples, deploy, chart sources and templates,
// rule fixtures, this package's testdata.
func manifestFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte("apiVersion")) {
			files[path] = data
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// fuzzCorpus returns the inputs of every committed fuzz corpus entry.
func fuzzCorpus(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("testdata/fuzz/*/*")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
			t.Fatalf("%s: not a one-argument []byte corpus entry", p)
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[p] = []byte(s)
	}
	if len(out) == 0 {
		t.Fatal("no fuzz corpus entries found")
	}
	return out
}

// yaml12JSON is the negative control: a deliberately YAML 1.2 reading
// (yaml.v3, what kguard used before), converted to JSON the same way.
func yaml12JSON(doc []byte) ([]byte, error) {
	var v any
	if err := yamlv3.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// TestYAMLParity is the differential test: every YAML manifest in the
// repository, every fuzz corpus entry and the YAML 1.1 corpus read the
// same through kguard as through kubectl's own reader, document by
// document and file by file. In the same run, a YAML 1.2 reader must
// disagree with the reference on the YAML 1.1 corpus: proof that the
// comparison can fail.
func TestYAMLParity(t *testing.T) {
	inputs := manifestFiles(t)
	nManifests := len(inputs)
	for p, data := range fuzzCorpus(t) {
		inputs[p] = data
	}
	var docs, fast, failed int
	for name, data := range inputs {
		checkStreamParity(t, name, data)
		eachDocument(data, func(doc []byte) {
			o := checkDocumentParity(t, name, doc)
			docs++
			if o.fast {
				fast++
			}
			if o.failed {
				failed++
			}
		})
	}
	t.Logf("%d manifest files and %d fuzz entries: %d documents, %d on the fast path, %d refused by both", nManifests, len(inputs)-nManifests, docs, fast, failed)
	if nManifests < 50 || docs < 200 {
		t.Errorf("only %d files and %d documents found: is the walk still at the repository root?", nManifests, docs)
	}
	if good := docs - failed; fast*10 < good*8 {
		t.Errorf("only %d of %d readable documents took the fast path", fast, good)
	}

	// The YAML 1.1 corpus, and the negative control over it.
	yaml11, err := filepath.Glob("testdata/yaml11/*.yaml")
	if err != nil || len(yaml11) < 10 {
		t.Fatalf("YAML 1.1 corpus: %d files, %v", len(yaml11), err)
	}
	var controlDocs, controlDisagree int
	for _, p := range yaml11 {
		if _, ok := inputs["../../internal/inventory/"+p]; !ok {
			t.Errorf("%s was not part of the repository walk", p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		eachDocument(data, func(doc []byte) {
			controlDocs++
			want, werr := sigsyaml.YAMLToJSON(doc)
			got, gerr := yaml12JSON(doc)
			if compareDocument(got, gerr, want, werr) != "" {
				controlDisagree++
			}
		})
	}
	t.Logf("negative control: a YAML 1.2 reader disagrees with sigs.k8s.io/yaml on %d of %d YAML 1.1 corpus documents", controlDisagree, controlDocs)
	if controlDisagree == 0 {
		t.Error("the YAML 1.2 control agrees with sigs.k8s.io/yaml on the whole YAML 1.1 corpus: the comparison cannot tell them apart")
	}
}

// TestCompareDocumentSensitive: the comparison itself tells apart what
// decoding must keep apart, and only ignores what JSON encoders may vary.
func TestCompareDocumentSensitive(t *testing.T) {
	errX := errors.New("x")
	tests := []struct {
		got, want string
		gerr      error
		same      bool
	}{
		{`{"b":1,"a":"<"}`, `{"a":"\u003c","b":1}`, nil, true},
		{`{"a":true}`, `{"a":"true"}`, nil, false},
		{`{"a":1}`, `{"a":1.0}`, nil, false},
		{`{"a":493}`, `{"a":755}`, nil, false},
		{`{"a":null}`, `{}`, nil, false},
		{`[1,2]`, `[2,1]`, nil, false},
		{``, `{"a":1}`, errX, false},
		{``, `{"a":1}`, errTooDeep, false},
		{``, strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), errTooDeep, true},
		{``, `{"1":"a"}`, &keyCollisionError{a: 1, b: "1", key: "1"}, true},
	}
	for _, tt := range tests {
		msg := compareDocument([]byte(tt.got), tt.gerr, []byte(tt.want), nil)
		if (msg == "") != tt.same {
			t.Errorf("compare %s (err %v) with %s: %q, want same=%v", tt.got, tt.gerr, tt.want, msg, tt.same)
		}
	}
	if compareDocument([]byte(`{}`), nil, nil, errX) == "" {
		t.Error("kguard reading what the reference refuses passed")
	}
}

// FuzzYAMLParity: no input makes kguard read YAML differently from
// kubectl, file by file and document by document. Its seeds (the tricky
// documents, the YAML 1.1 corpus) and the committed corpus run in the
// normal suite; run it with
//
//	go test ./internal/inventory -run '^$' -fuzz FuzzYAMLParity
func FuzzYAMLParity(f *testing.F) {
	for _, doc := range tricky {
		f.Add([]byte(doc))
	}
	files, _ := filepath.Glob("testdata/yaml11/*.yaml")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		checkStreamParity(t, "fuzz", data)
		eachDocument(data, func(doc []byte) { checkDocumentParity(t, "fuzz", doc) })
	})
}
