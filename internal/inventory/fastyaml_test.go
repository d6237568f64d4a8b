package inventory

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sameAsYAMLv3 converts doc both ways. When the fast path accepts a
// document, its JSON must decode to exactly what yaml.v3's does; when
// yaml.v3 rejects a document, the fast path must not accept it.
func sameAsYAMLv3(t testing.TB, name string, doc []byte) (fast bool) {
	got, _, _, ferr := fastConvert(nil, doc)
	want, werr := convertDocument(nil, doc)
	if ferr == errFallback {
		return false
	}
	if ferr != nil {
		t.Fatalf("%s: fast path returned %v, not errFallback", name, ferr)
	}
	if werr != nil {
		t.Fatalf("%s: fast path accepted a document yaml.v3 rejects (%v):\n%s", name, werr, doc)
	}
	if !jsonEqual(t, got, want) {
		t.Fatalf("%s: fast path differs from yaml.v3\nyaml:\n%s\nfast: %s\nyaml.v3: %s", name, doc, got, want)
	}
	return true
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	var va, vb any
	for _, x := range []struct {
		data []byte
		v    *any
	}{{a, &va}, {b, &vb}} {
		d := json.NewDecoder(bytes.NewReader(x.data))
		d.UseNumber()
		if err := d.Decode(x.v); err != nil {
			t.Fatalf("invalid JSON %s: %v", x.data, err)
		}
	}
	return reflect.DeepEqual(va, vb)
}

// TestFastYAMLMatchesYAMLv3OnEveryManifest runs every YAML document in the
// repository (examples, fixtures, charts' CRDs) through both paths.
func TestFastYAMLMatchesYAMLv3OnEveryManifest(t *testing.T) {
	var docs, fast int
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "templates") {
			return filepath.SkipDir // Helm templates are not YAML until rendered
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return splitDocuments(data, func(doc []byte, line, _ int) error {
			docs++
			if sameAsYAMLv3(t, path, doc) {
				fast++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d documents, %d on the fast path", docs, fast)
	if docs < 50 || fast*10 < docs*8 {
		t.Errorf("only %d of %d documents took the fast path", fast, docs)
	}
}

// tricky are documents that exercise each construct, accepted or not.
var tricky = []string{
	"a: b\n",
	"a: 'it''s'\nb: \"x\\ty\\u00e9\\x41\\\\\"\n",
	"k: \"a: b\"\n",
	"k: a:b\n",
	"k: http://x:80/p\n",
	"list:\n- a\n- b\n",
	"list:\n  - a\n  -   b\n",
	"- - x\n  - y\n- z\n",
	"- a: 1\n  b: 2\n- c: 3\n",
	"k:\n",
	"k: ~\nl: null\nm: Null\n",
	"n: 123\no: -7\np: 0o14\nq: 0x1F\nr: 1_000\ns: 017\n",
	"f: 1.5\ng: 1e3\nh: .5\ni: -.5e-2\nj: 3.0\nk: 1.\n",
	"big: 9223372036854775808\nbigger: 18446744073709551616\n",
	"inf: .inf\nnan: .NaN\n",
	"t: true\nu: False\nv: yes\nw: on\nx: off\n",
	"d: 2001-12-14\ne: 2001-12-14T21:59:43.10-05:00\n",
	"s: \"123\"\nt: '0x1'\n",
	"q: 100m\nr: 128Mi\ns: 80%\nu: 1Gi\n",
	"a: b # comment\nc: 'd' # c2\ne: \"f#g\"\nh: i#j\n",
	"a:   spaced   \n",
	"block: |\n  line1\n  line2\nnext: x\n",
	"block: |-\n  line1\n\n  line3\n",
	"block: |+\n  line1\n\n",
	"block: >\n  folded\n  text\n\n  para\n",
	"block: >-\n  a\n    b\n  c\n",
	"block: |\n    deeper\n  less\n",
	"block: |2\n    x\n",
	"block: |\n\n  after-blank\n",
	"block: |\n  # not a comment\n  x\n",
	"flow: [a, b, 'c', \"d\"]\n",
	"flow: {a: 1, b: [x, y], c: {d: e}}\n",
	"flow: []\nempty: {}\n",
	"flow: [a, b,]\n",
	"flow: [a,\n  b]\n",
	"anchor: &a x\nalias: *a\n",
	"tagged: !!str 123\n",
	"? complex\n: value\n",
	"merge:\n  <<: {a: 1}\n",
	"dup: 1\ndup: 2\n",
	"a: b: c\n",
	"multi: line\n  continued\n",
	"\"quoted key\": v\n'single': w\n",
	"80: http\ntrue: x\n",
	"k: \"multi\n  line\"\n",
	"a:\n  b:\n    c:\n      d: deep\n",
	"a:\n- x\n- y\nb: z\n",
	"---\na: 1\n",
	"--- # comment\na: 1\n",
	"--- |\n  scalar doc\n",
	"%YAML 1.2\n---\na: 1\n",
	"a: 1\r\nb: 2\r\n",
	"\ta: 1\n",
	"a:\n\t- 1\n",
	"key with spaces: v\n",
	"-dash-key: v\n",
	"a: -\n",
	"a: - x\n",
	"a: 'x' y\n",
	"a: [x] y\n",
	"emoji: \"\\U0001F600\"\n",
	"ctrl: \"\\0\\a\\e\\N\\_\\L\\P\"\n",
	"bad: \"\\q\"\n",
	"a: |\n  x\n b: y\n",
	"a:\n  - b\n  c: d\n",
	"env:\n- name: A\n  value: \"1\"\n- name: B\n  valueFrom:\n    secretKeyRef: {name: s, key: k}\n",
}

func TestFastYAMLTrickyCases(t *testing.T) {
	fast := 0
	for _, doc := range tricky {
		if sameAsYAMLv3(t, doc, []byte(doc)) {
			fast++
		}
	}
	t.Logf("%d of %d tricky documents on the fast path", fast, len(tricky))
	if fast < len(tricky)/2 {
		t.Errorf("the fast path handles only %d of %d tricky documents", fast, len(tricky))
	}
}

// FuzzFastYAML: no input makes the fast path panic or disagree with
// yaml.v3. The seed corpus (the tricky cases) runs in the normal suite.
func FuzzFastYAML(f *testing.F) {
	for _, doc := range tricky {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 1<<16 {
			return
		}
		sameAsYAMLv3(t, "fuzz", doc)
	})
}
