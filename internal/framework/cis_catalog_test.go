package framework_test

import (
	"testing"

	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/report/cis"
)

// TestCISFrameworkMatchesCatalog: --framework cis and -o cis (and kguard
// node --benchmark cis) list the same CIS Kubernetes Benchmark checks with
// the same manual/automated classification, so the two views of one
// benchmark cannot drift apart.
func TestCISFrameworkMatchesCatalog(t *testing.T) {
	fw, err := framework.Get("cis")
	if err != nil {
		t.Fatal(err)
	}
	manual := map[string]bool{}
	for _, s := range fw.Sections {
		for _, c := range s.Controls {
			manual[c.ID] = c.Manual
		}
	}
	catalog := cis.Catalog()
	seen := map[string]bool{}
	for _, c := range catalog {
		seen[c.ID] = true
		m, ok := manual[c.ID]
		switch {
		case !ok:
			t.Errorf("check %s of the -o cis catalog is no control of the cis framework", c.ID)
		case m == c.Automated:
			t.Errorf("check %s: the framework says manual=%v, the catalog automated=%v", c.ID, m, c.Automated)
		}
	}
	for id := range manual {
		if !seen[id] {
			t.Errorf("control %s of the cis framework is not in the -o cis catalog", id)
		}
	}
	if len(catalog) < 100 {
		t.Fatalf("only %d checks in the catalog", len(catalog))
	}
}
