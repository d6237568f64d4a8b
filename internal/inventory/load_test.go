package inventory

import (
	"context"
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
	// Files in sorted order, documents in file order; the .txt file and
	// kguard's own config file are skipped. Lines counted by hand in the
	// fixtures.
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

// TestAliasBombBoundedMemory: a billion-laughs document must fail fast
// without expanding. The bound is generous (the expansion would need
// gigabytes) so it never flakes, yet fails if aliases were expanded.
func TestAliasBombBoundedMemory(t *testing.T) {
	data, err := os.ReadFile("testdata/bad/alias-bomb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	objs, errs := DecodeFile("bomb.yaml", data)
	runtime.ReadMemStats(&after)
	if len(objs) != 0 || len(errs) != 1 {
		t.Fatalf("got %d objects and %d errors, want 0 and 1", len(objs), len(errs))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("decoding the alias bomb allocated %d MB", alloc>>20)
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
	} {
		objs, errs := DecodeFile("deep.yaml", []byte(doc))
		if len(objs) != 0 || len(errs) != 1 {
			t.Fatalf("got %d objects, %d errors; want a clear error", len(objs), len(errs))
		}
		if !strings.Contains(errs[0].Error(), "deep") {
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
