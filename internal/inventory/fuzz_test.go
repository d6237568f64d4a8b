package inventory

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodeFile checks that no input makes the loader panic, and that
// every error names the file. Its seed corpus (the testdata manifests) runs
// in the normal test suite.
func FuzzDecodeFile(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [1, 2]\n"))
	f.Add([]byte("{\"apiVersion\": 1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, errs := DecodeFile("fuzz.yaml", data)
		for _, e := range errs {
			if e.File != "fuzz.yaml" || e.Err == nil {
				t.Fatalf("error without file or cause: %#v", e)
			}
		}
		for _, o := range objs {
			if o.Meta == nil || o.Typed == nil || o.Kind == "" || o.APIVersion == "" {
				t.Fatalf("incomplete object: %#v", o)
			}
		}
	})
}
