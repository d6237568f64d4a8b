package all

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/ruledoc"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md from the registry")

func TestRegistryValid(t *testing.T) {
	reg, err := Registry()
	if err != nil {
		t.Fatalf("default registry is invalid:\n%v", err)
	}
	if reg.Len() == 0 {
		t.Fatal("default registry has no rules")
	}
}

// TestEveryRuleHasFixtures enforces that each rule has fire and pass
// fixtures in its family's testdata; a rule without them is not tested.
func TestEveryRuleHasFixtures(t *testing.T) {
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reg.Rules() {
		dir := filepath.Join("..", familyDir(r), "testdata", r.ID)
		fire, _ := filepath.Glob(filepath.Join(dir, "fire*.yaml"))
		pass, _ := filepath.Glob(filepath.Join(dir, "pass*.yaml"))
		if len(fire) == 0 || len(pass) == 0 {
			if generated[r.ID] {
				continue
			}
			t.Errorf("rule %s: no fixtures in %s (need fire*.yaml and pass*.yaml)", r.ID, dir)
		}
	}
}

// generated lists rules whose fixtures are produced by their tests (for
// example certificates made with crypto/x509 at test time).
var generated = map[string]bool{}

func familyDir(r *rules.Rule) string {
	switch r.Category {
	case rules.CategoryPodSecurity:
		return "podsecurity"
	}
	return string(r.Category)
}

func TestDocsUpToDate(t *testing.T) {
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	got := ruledoc.Markdown(reg)
	path := filepath.Join("..", "..", "..", "docs", "rules.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/rules/all -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/rules.md is stale: run go test ./internal/rules/all -update")
	}
}
