package patching

import (
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rules"
)

const migrationGuide = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"

// target is the release the scan checks against. The CLI validates the
// flag, so a bad value here (a library caller) falls back to the newest.
func target(p *rules.Pass) k8sversions.Release {
	r, err := k8sversions.Target(p.Settings.TargetVersion)
	if err != nil {
		return k8sversions.Latest
	}
	return r
}

func apiRemoved() *rules.Rule {
	return &rules.Rule{
		ID:       "api-removed",
		Category: finding.CategoryPatching,
		Severity: finding.SeverityHigh,
		Title:    "API version is no longer served by the target Kubernetes release",
		Rationale: "The API server of the target release does not serve this group/version: applying the " +
			"manifest fails, and an upgrade that still relies on it breaks deployments. Staying on an old " +
			"release to keep such manifests working means missing security patches.",
		Remediation: "Move the manifest to the replacement API version (kubectl convert or a hand edit; check " +
			"the fields the migration guide lists as changed), then upgrade.",
		References: finding.References{
			NSA:  []string{"Upgrading and application security practices"},
			URLs: []string{migrationGuide},
		},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			a, ok := k8sversions.Lookup(obj.APIVersion, obj.Kind)
			if !ok {
				return
			}
			t := target(p)
			if a.StatusAt(t) != k8sversions.Removed {
				return
			}
			p.Reportf(obj, "apiVersion", "%s %s is not served since Kubernetes %s (target %s): use %s",
				obj.APIVersion, obj.Kind, a.Removed, t, a.Replacement)
		},
	}
}

func apiDeprecated() *rules.Rule {
	return &rules.Rule{
		ID:       "api-deprecated",
		Category: finding.CategoryPatching,
		Severity: finding.SeverityLow,
		Title:    "API version is deprecated in the target Kubernetes release",
		Rationale: "The API server still serves this version but warns on every request, and a later release " +
			"removes it: manifests that keep it block the next upgrade.",
		Remediation: "Move to the replacement before the release that removes the version.",
		References: finding.References{
			URLs: []string{migrationGuide},
		},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			a, ok := k8sversions.Lookup(obj.APIVersion, obj.Kind)
			if !ok {
				return
			}
			t := target(p)
			if a.StatusAt(t) != k8sversions.Deprecated {
				return
			}
			if a.Removed.IsZero() {
				p.Reportf(obj, "apiVersion", "%s %s is deprecated since Kubernetes %s (no removal planned): use %s",
					obj.APIVersion, obj.Kind, a.Deprecated, a.Replacement)
				return
			}
			p.Reportf(obj, "apiVersion", "%s %s is deprecated since Kubernetes %s and removed in %s: use %s",
				obj.APIVersion, obj.Kind, a.Deprecated, a.Removed, a.Replacement)
		},
	}
}
