package finding

import (
	"testing"

	"github.com/kguard/kguard/internal/inventory"
)

// TestFingerprint: stable across what changes between runs without
// changing the problem (line, file, message, severity, apiVersion within a
// group), different for anything that names a different problem.
func TestFingerprint(t *testing.T) {
	base := Finding{
		Rule: "privileged-container", Severity: SeverityCritical, Message: `container "app" runs privileged`,
		Resource: inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		Field:    "spec.template.spec.containers[0].securityContext.privileged",
		Source:   inventory.Source{File: "manifests/shop.yaml", Line: 12},
	}
	fp := Fingerprint(&base)
	if len(fp) != 32 {
		t.Fatalf("fingerprint %q is not 32 hex digits", fp)
	}
	same := map[string]func(*Finding){
		"line":        func(f *Finding) { f.Source.Line = 99 },
		"file":        func(f *Finding) { f.Source.File = "overlays/prod/shop.yaml" },
		"cluster":     func(f *Finding) { f.Source = inventory.Source{Cluster: "prod"} },
		"message":     func(f *Finding) { f.Message = "reworded" },
		"severity":    func(f *Finding) { f.Severity = SeverityLow },
		"api version": func(f *Finding) { f.Resource.APIVersion = "apps/v1beta2" },
		"suppression": func(f *Finding) { f.Suppressed = &Suppression{By: "config"} },
	}
	for name, mod := range same {
		f := base
		mod(&f)
		if Fingerprint(&f) != fp {
			t.Errorf("changing the %s altered the fingerprint", name)
		}
	}
	differ := map[string]func(*Finding){
		"rule":      func(f *Finding) { f.Rule = "image-latest-tag" },
		"kind":      func(f *Finding) { f.Resource.Kind = "StatefulSet" },
		"namespace": func(f *Finding) { f.Resource.Namespace = "shop2" },
		"name":      func(f *Finding) { f.Resource.Name = "web2" },
		"field":     func(f *Finding) { f.Field = "spec.template.spec.containers[1].securityContext.privileged" },
		"group":     func(f *Finding) { f.Resource.APIVersion = "example.com/v1" },
		// Moving characters between parts must matter (separators).
		"boundary": func(f *Finding) { f.Resource.Namespace, f.Resource.Name = "sho", "pweb" },
	}
	for name, mod := range differ {
		f := base
		mod(&f)
		if Fingerprint(&f) == fp {
			t.Errorf("changing the %s kept the fingerprint", name)
		}
	}
}
