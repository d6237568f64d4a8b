package all

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/kguard/kguard/internal/rules/ruledoc"
	"github.com/kguard/kguard/internal/rules/rulestest"
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
		fire, pass := rulestest.Fixtures("..", r)
		if (len(fire) == 0 || len(pass) == 0) && !generated[r.ID] {
			t.Errorf("rule %s: no fixtures (need fire*.yaml and pass*.yaml in its family's testdata/%s/)", r.ID, r.ID)
		}
	}
}

// generated lists rules whose fixtures are produced by their tests (for
// example certificates made with crypto/x509 at test time).
var generated = map[string]bool{}

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
