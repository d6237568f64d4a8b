package network

import (
	"path/filepath"
	"testing"

	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/rulestest"
)

func TestRules(t *testing.T) {
	rulestest.Run(t, Rules(), "testdata", nil)
}

// TestDefaultDenyTargets checks where the per-namespace findings are
// attached: the Namespace object when scanned, else the first open
// workload.
func TestDefaultDenyTargets(t *testing.T) {
	file := filepath.Join("testdata", "namespace-no-default-deny-ingress", "fire-open.yaml")
	res := rulestest.Scan(t, file, []*rules.Rule{noDefaultDenyIngress()}, nil)
	want := map[string]bool{"Namespace /shop": true, "CronJob batch/nightly": true, "Namespace /wide": true}
	if len(res.Findings) != len(want) {
		t.Fatalf("%d findings, want %d", len(res.Findings), len(want))
	}
	for _, f := range res.Findings {
		key := f.Resource.Kind + " " + f.Resource.Namespace + "/" + f.Resource.Name
		if !want[key] {
			t.Errorf("unexpected finding on %s: %s", key, f.Message)
		}
	}
}
