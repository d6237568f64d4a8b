package isolation

import (
	"path/filepath"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/rulestest"
)

func TestRules(t *testing.T) {
	rulestest.Run(t, Rules(), "testdata", nil)
}

// TestResourceLimitsTargets checks where the per-namespace findings are
// attached and their context-dependent severity.
func TestResourceLimitsTargets(t *testing.T) {
	file := filepath.Join("testdata", "namespace-without-resource-limits", "fire-missing.yaml")
	res := rulestest.Scan(t, file, []*rules.Rule{missingResourceLimits()}, nil)
	want := map[string]struct {
		kind, name string
		sev        finding.Severity
	}{
		"shop":  {"Namespace", "shop", finding.SeverityMedium},
		"batch": {"Job", "once", finding.SeverityLow},
		// Named no namespace: judged where it lands.
		"default": {"Pod", "floating", finding.SeverityMedium},
	}
	if len(res.Findings) != len(want) {
		t.Fatalf("%d findings, want %d", len(res.Findings), len(want))
	}
	for _, f := range res.Findings {
		ns := f.Resource.Namespace
		if f.Resource.Kind == "Namespace" {
			ns = f.Resource.Name
		}
		w, ok := want[ns]
		if !ok {
			t.Errorf("unexpected finding for namespace %q: %s", ns, f.Message)
			continue
		}
		if f.Resource.Kind != w.kind || f.Resource.Name != w.name || f.Severity != w.sev {
			t.Errorf("namespace %q: finding on %s %s at %s, want %s %s at %s", ns, f.Resource.Kind, f.Resource.Name, f.Severity, w.kind, w.name, w.sev)
		}
	}
}
