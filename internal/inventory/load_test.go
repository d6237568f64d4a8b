package inventory

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestLoadDirectory(t *testing.T) {
	res, err := Load(context.Background(), []string{"testdata/good"}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("unexpected input errors: %v", res.Errors)
	}
	type want struct {
		kind, ns, name, file string
		line                 int
	}
	// Files in sorted order, documents in file order; the .txt file is
	// skipped. Lines counted by hand in the fixtures.
	wants := []want{
		{"ServiceAccount", "shop", "a", "testdata/good/list.yaml", 1},
		{"ServiceAccount", "shop", "b", "testdata/good/list.yaml", 1},
		{"Namespace", "", "shop", "testdata/good/multi.yaml", 2},
		{"Deployment", "shop", "web", "testdata/good/multi.yaml", 7},
		{"Widget", "shop", "custom", "testdata/good/multi.yaml", 26},
		{"Pod", "", "json-pod", "testdata/good/pod.json", 1},
	}
	objs := res.Inventory.Objects()
	if len(objs) != len(wants) {
		for _, o := range objs {
			t.Logf("got %s at %s", o.Ref, o.Source)
		}
		t.Fatalf("got %d objects, want %d", len(objs), len(wants))
	}
	for i, w := range wants {
		o := objs[i]
		if o.Kind != w.kind || o.Namespace != w.ns || o.Name != w.name || o.Source.File != w.file || o.Source.Line != w.line {
			t.Errorf("object %d = %s %s/%s at %s, want %s %s/%s at %s:%d", i, o.Kind, o.Namespace, o.Name, o.Source, w.kind, w.ns, w.name, w.file, w.line)
		}
	}
	if d, ok := objs[3].Typed.(*appsv1.Deployment); !ok || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.27" {
		t.Errorf("Deployment not decoded into its typed struct: %T", objs[3].Typed)
	}
	if _, ok := objs[4].Typed.(*unstructured.Unstructured); !ok {
		t.Errorf("unknown kind should be kept unstructured, got %T", objs[4].Typed)
	}
	if _, ok := objs[5].Typed.(*corev1.Pod); !ok {
		t.Errorf("JSON pod not typed: %T", objs[5].Typed)
	}
	if res.Files != 3 {
		t.Errorf("read %d files, want 3", res.Files)
	}
	if got := res.Inventory.ByKind("apps", "Deployment"); len(got) != 1 {
		t.Errorf("ByKind(apps, Deployment) = %d objects", len(got))
	}
	if _, ok := res.Inventory.Get("", "ServiceAccount", "shop", "b"); !ok {
		t.Error("Get(ServiceAccount shop/b) not found")
	}
}

func TestLoadBadInputs(t *testing.T) {
	tests := []struct {
		file string
		line int
		msg  string
		// names of objects from the same file that must still load
		survivors []string
	}{
		{"testdata/bad/syntax.yaml", 10, "mapping values are not allowed", []string{"ok-before", "ok-after"}},
		{"testdata/bad/nokind.yaml", 1, "no apiVersion or kind", nil},
		{"testdata/bad/wrongtype.yaml", 1, "containerPort", nil},
		{"testdata/bad/alias-bomb.yaml", 0, "alias", nil},
		{"testdata/bad/missing.yaml", 0, "no such file", nil},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			res, err := Load(context.Background(), []string{tt.file, "testdata/good/pod.json"}, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) != 1 {
				t.Fatalf("got %d input errors, want 1: %v", len(res.Errors), res.Errors)
			}
			e := res.Errors[0]
			if e.File != tt.file {
				t.Errorf("error names file %q, want %q", e.File, tt.file)
			}
			if tt.line > 0 && e.Line != tt.line {
				t.Errorf("error at line %d, want %d: %v", e.Line, tt.line, e)
			}
			if !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", e.Error(), tt.msg)
			}
			names := map[string]bool{}
			for _, o := range res.Inventory.Objects() {
				names[o.Name] = true
			}
			if !names["json-pod"] {
				t.Error("the good input was not loaded next to the bad one")
			}
			for _, n := range tt.survivors {
				if !names[n] {
					t.Errorf("object %s from the same file was lost", n)
				}
			}
		})
	}
}

// TestAliasBombBoundedMemory: alias bombs must fail early, without
// expanding, with an error that says why. yaml.v2 (kubectl's reader)
// counts every node it decodes through an alias and gives up when they
// are too large a share of the document. The bound is generous (the
// expansions would need gigabytes to terabytes) so it never flakes, yet
// fails if aliases were expanded.
func TestAliasBombBoundedMemory(t *testing.T) {
	laughs, err := os.ReadFile("testdata/bad/alias-bomb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Fat leaves: a 1,000-element list behind each of 9 levels of 10
	// aliases, so that aliases are few next to the nodes they expand.
	var fat strings.Builder
	fat.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fat}\ndata:\n  l0: &l0 [")
	for i := 0; i < 1000; i++ {
		fat.WriteString("lol,")
	}
	fat.WriteString("lol]\n")
	for l := 1; l <= 9; l++ {
		fmt.Fprintf(&fat, "  l%d: &l%d [%s*l%d]\n", l, l, strings.Repeat(fmt.Sprintf("*l%d,", l-1), 9), l-1)
	}
	for name, data := range map[string][]byte{"billion laughs": laughs, "fat leaves": []byte(fat.String())} {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			objs, errs := DecodeFile("bomb.yaml", data)
			runtime.ReadMemStats(&after)
			if len(objs) != 0 || len(errs) != 1 {
				t.Fatalf("got %d objects and %d errors, want 0 and 1", len(objs), len(errs))
			}
			if !strings.Contains(errs[0].Err.Error(), "excessive aliasing") || errs[0].Line != 1 {
				t.Errorf("error = %v, want excessive aliasing at the document's line 1", errs[0])
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s allocated %d KB", errs[0], alloc>>10)
			if alloc > 64<<20 {
				t.Errorf("decoding the alias bomb allocated %d MB", alloc>>20)
			}
		})
	}
}

func TestHugeFileRejectedWithoutReading(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: 100 MB on paper, nothing on disk.
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res, err := Load(context.Background(), []string{path}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Error(), "limit") {
		t.Fatalf("want one size-limit error, got %v", res.Errors)
	}
}

func TestStdinLimit(t *testing.T) {
	big := strings.Repeat("a", 2048)
	res, err := Load(context.Background(), []string{"-"}, LoadOptions{Stdin: strings.NewReader(big), MaxFileSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || res.Errors[0].File != "-" || !strings.Contains(res.Errors[0].Error(), "limit") {
		t.Fatalf("want one size-limit error for stdin, got %v", res.Errors)
	}
}

func TestStdin(t *testing.T) {
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-stdin\n"
	res, err := Load(context.Background(), []string{"-"}, LoadOptions{Stdin: strings.NewReader(in)})
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("err=%v input errors=%v", err, res.Errors)
	}
	objs := res.Inventory.Objects()
	if len(objs) != 1 || objs[0].Name != "from-stdin" || objs[0].Source.File != "-" || objs[0].Source.Line != 1 {
		t.Fatalf("got %+v", objs)
	}
}

func TestDeepNesting(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata:\n  x: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx:\n" + deepMapping(5000),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx:\n" + deepMapping(MaxDepth+10),
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\nx: " + strings.Repeat("[", MaxDepth+10) + strings.Repeat("]", MaxDepth+10) + "\n",
	} {
		objs, errs := DecodeFile("nest.yaml", []byte(doc))
		if len(objs) != 0 || len(errs) != 1 {
			t.Fatalf("got %d objects, %d errors; want a clear error", len(objs), len(errs))
		}
		// yaml.v2's own bound (10,000 levels) or kguard's (MaxDepth).
		if msg := errs[0].Err.Error(); !strings.Contains(msg, "max depth") && !strings.Contains(msg, "too deep") {
			t.Errorf("error does not say the input is too deep: %v", errs[0])
		}
	}
}

func deepMapping(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(strings.Repeat(" ", i+1))
		b.WriteString("k:\n")
	}
	return b.String()
}

func TestDecodeJSONListItemsErrorsKeepGoodItems(t *testing.T) {
	doc := `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}},{"metadata":{"name":"typeless"}}]}`
	objs, err := DecodeJSON([]byte(doc), Source{File: "l.json", Line: 1})
	if len(objs) != 1 || objs[0].Name != "s" {
		t.Fatalf("good item lost: %v", objs)
	}
	if err == nil || !strings.Contains(err.Error(), "items[1]") {
		t.Fatalf("error should name the bad item: %v", err)
	}
}

// TestErrorLines: a YAML error names the 1-based line of the problem in
// the file. Each expected line was found by reading the input: the line
// that holds the offending character or token. yaml.v2 numbers scanner
// problems from 1 and parser problems from 0, and names no line for a
// problem on a document's first line or for a bad character.
func TestErrorLines(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"parser, less indented key", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n labels: {}\n", 5, "did not find expected key"},
		{"parser, in a later document", "a: 1\n---\n- x\ny: 2\n", 4, "did not find expected '-' indicator"},
		{"parser, on a document's first line", "a: 1\n---\n]\n", 3, "did not find expected node content"},
		{"scanner, reserved character", "a: 1\n---\nb: 1\nc: @x\n", 4, "cannot start any token"},
		{"scanner, on a document's first line", "a: 1\n---\nb: \"\\q\"\n", 3, "unknown escape character"},
		{"scanner, quote open at the end", "---\na: 1\n---\nb: \"open\nc: 2\n", 6, "unexpected end of stream"},
		{"reader, control character", "a: 1\n---\nb: 1\nc: <\x01>\n", 4, "control characters"},
		{"reader, in a comment-only document", "a: 1\n---\n# ok\n# not ok: \x00\n", 4, "control characters"},
		{"scanner, a tab-only line", "a: 1\n---\n\t\n", 3, "cannot start any token"},
		{"bad separator", "apiVersion: v1\n--- x\nb: 2\n", 2, "document separator"},
		{"unknown alias, at the document", "apiVersion: v1\nkind: ConfigMap\n---\n# c\nmetadata: *nope\n", 5, "unknown anchor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := DecodeFile("f.yaml", []byte(tt.in))
			var found bool
			for _, e := range errs {
				if strings.Contains(e.Err.Error(), tt.msg) {
					found = true
					if e.Line != tt.line {
						t.Errorf("%q at line %d, want %d", e.Err, e.Line, tt.line)
					}
				}
			}
			if !found {
				t.Errorf("no error mentions %q: %v", tt.msg, errs)
			}
		})
	}
}

// TestKubectlDocumentCuts: documents are cut where kubectl cuts them, and
// each object keeps the line of its first content line.
func TestKubectlDocumentCuts(t *testing.T) {
	in := "# c\n" + // 1
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n" + // 2-4
		"...\n" + // 5: a document end marker: kubectl reads no more of this document
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hidden}\n" + // 6-8
		"--- # a comment may follow\n" + // 9
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n" + // 10-12
		"---\n---\n" + // 13-14: the second marker opens the next document
		"~\n" + // 15: null, skipped
		"---\n" + // 16
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  k: |\n    no final break" // 17-22
	objs, errs := DecodeFile("f.yaml", []byte(in))
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []struct {
		name string
		line int
	}{{"a", 2}, {"b", 10}, {"c", 17}}
	if len(objs) != len(want) {
		t.Fatalf("got %d objects, want %d", len(objs), len(want))
	}
	for i, w := range want {
		if objs[i].Name != w.name || objs[i].Source.Line != w.line {
			t.Errorf("object %d: %s at line %d, want %s at %d", i, objs[i].Name, objs[i].Source.Line, w.name, w.line)
		}
	}
	// kubectl's reader ends the last line with a line break, so the block
	// scalar keeps one.
	if got := objs[2].Typed.(*corev1.ConfigMap).Data["k"]; got != "no final break\n" {
		t.Errorf("last block scalar = %q, want a final line break", got)
	}
}
