package patching

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

// TestTargetVersion: the same manifests give different findings for
// different target releases.
func TestTargetVersion(t *testing.T) {
	file := filepath.Join("testdata", "api-removed", "fire-old-apis.yaml")
	for _, tc := range []struct {
		target              string
		removed, deprecated int
	}{
		// 1.20: Ingress extensions/v1beta1 deprecated (1.14), CronJob
		// v1beta1 and FlowSchema v1beta3 not yet deprecated.
		{"1.20", 0, 1},
		// 1.24: CronJob v1beta1 deprecated (1.21), Ingress removed (1.22).
		{"1.24", 1, 1},
		// 1.29: FlowSchema v1beta3 deprecated (1.29), the others removed.
		{"v1.29.4", 2, 1},
		{"", 3, 0}, // the newest release
	} {
		t.Run(tc.target, func(t *testing.T) {
			res := rulestest.Scan(t, file, []*rules.Rule{apiRemoved(), apiDeprecated()}, &rules.Settings{TargetVersion: tc.target})
			var removed, deprecated int
			for _, f := range res.Findings {
				switch f.Rule {
				case "api-removed":
					removed++
				case "api-deprecated":
					deprecated++
				}
			}
			if removed != tc.removed || deprecated != tc.deprecated {
				t.Errorf("target %q: %d removed, %d deprecated; want %d, %d", tc.target, removed, deprecated, tc.removed, tc.deprecated)
			}
		})
	}
}

// TestPSPSeverity: before 1.25 a PodSecurityPolicy still works (medium);
// from 1.25 it protects nothing (high).
func TestPSPSeverity(t *testing.T) {
	file := filepath.Join("testdata", "pod-security-policy", "fire-three-levels.yaml")
	for target, want := range map[string]finding.Severity{"1.24": finding.SeverityMedium, "1.25": finding.SeverityHigh} {
		res := rulestest.Scan(t, file, []*rules.Rule{podSecurityPolicy()}, &rules.Settings{TargetVersion: target})
		if len(res.Findings) != 3 {
			t.Fatalf("target %s: %d findings, want 3", target, len(res.Findings))
		}
		for _, f := range res.Findings {
			if f.Severity != want {
				t.Errorf("target %s: %s at %s, want %s", target, f.Resource.Name, f.Severity, want)
			}
		}
	}
}
