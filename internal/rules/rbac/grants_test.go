package rbac

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

// grantSeverities scans one fixture with one grant rule and returns the
// severity of the finding on each binding, by binding name.
func grantSeverities(t *testing.T, rule *rules.Rule, file string) map[string]finding.Severity {
	t.Helper()
	res := rulestest.Scan(t, filepath.Join("testdata", rule.ID, file), []*rules.Rule{rule}, nil)
	got := map[string]finding.Severity{}
	for _, f := range res.Findings {
		got[f.Resource.Name] = f.Severity
	}
	return got
}

func checkSeverities(t *testing.T, got, want map[string]finding.Severity) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("findings on %v, want %v", got, want)
	}
	for name, sev := range want {
		if got[name] != sev {
			t.Errorf("binding %s: severity %s, want %s", name, got[name], sev)
		}
	}
}

// TestSecretsReadSeverity: reading every Secret through a ClusterRoleBinding
// is high, through a RoleBinding (even to a ClusterRole) medium.
func TestSecretsReadSeverity(t *testing.T) {
	checkSeverities(t, grantSeverities(t, secretsRead(), "fire-cluster-and-namespace.yaml"), map[string]finding.Severity{
		"ci-secrets":    finding.SeverityHigh,
		"secret-reader": finding.SeverityMedium,
		"watch-all":     finding.SeverityMedium,
	})
}

// TestPublicGroupSeverity: grants to unauthenticated requests are
// critical, to every authenticated user or service account high.
func TestPublicGroupSeverity(t *testing.T) {
	checkSeverities(t, grantSeverities(t, anonymousOrAuthenticatedGrant(), "fire-public-groups.yaml"), map[string]finding.Severity{
		"public-status":        finding.SeverityCritical,
		"all-service-accounts": finding.SeverityHigh,
		"everyone-views":       finding.SeverityHigh,
		"extra-public-info":    finding.SeverityCritical,
	})
}

// TestOneFindingPerBindingAndRule runs every grant rule over every fixture:
// a binding is reported at most once per rule, and always at a field of
// the binding.
func TestOneFindingPerBindingAndRule(t *testing.T) {
	var files []string
	for _, r := range grantRules() {
		fs, _ := filepath.Glob(filepath.Join("testdata", r.ID, "*.yaml"))
		files = append(files, fs...)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, file := range files {
		res := rulestest.Scan(t, file, grantRules(), nil)
		seen := map[string]bool{}
		for _, f := range res.Findings {
			key := f.Rule + " " + f.Resource.String()
			if seen[key] {
				t.Errorf("%s: %s reported twice", file, key)
			}
			seen[key] = true
			if f.Resource.Kind != "RoleBinding" && f.Resource.Kind != "ClusterRoleBinding" {
				t.Errorf("%s: %s reported on %s, not on a binding", file, f.Rule, f.Resource)
			}
			if f.Field == "" {
				t.Errorf("%s: %s on %s has no field", file, f.Rule, f.Resource)
			}
		}
	}
}

// TestDeterministic: the same inventory gives the same findings in the
// same order.
func TestDeterministic(t *testing.T) {
	file := filepath.Join("testdata", "rbac-escalate-bind-impersonate", "fire-escalate-bind-impersonate.yaml")
	first := rulestest.Scan(t, file, grantRules(), nil).Findings
	for range 5 {
		again := rulestest.Scan(t, file, grantRules(), nil).Findings
		if len(again) != len(first) {
			t.Fatalf("%d findings, then %d", len(first), len(again))
		}
		for i := range first {
			if first[i].Rule != again[i].Rule || first[i].Resource != again[i].Resource || first[i].Message != again[i].Message {
				t.Fatalf("finding %d differs: %+v vs %+v", i, first[i], again[i])
			}
		}
	}
}
