package detect

import (
	"flag"
	"os"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/runtime-rules.md from the default rules")

// TestDocsUpToDate: docs/runtime-rules.md is generated from the default
// rules (go test ./internal/detect -update-docs) and must not go stale.
func TestDocsUpToDate(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	const path = "../../docs/runtime-rules.md"
	want := Markdown(rs)
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run go test ./internal/detect -update-docs", path)
	}
}
