package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"rules:\n  disabel: [x]\n", "line 2: field disabel not found"},
		{"failOn: severe\n", "failOn: unknown severity"},
		{"exceptions:\n  - rules: [a]\n", "exceptions[0]: reason is required"},
		{"exceptions:\n  - reason: r\n    expires: next week\n", `expires "next week" is not a YYYY-MM-DD date`},
		{"exceptions:\n  - reason: r\n    names: ['[']\n", `bad glob "["`},
		{"rules:\n  severity: {a: urgent}\n", "unknown severity"},
		{"podTemplates:\n  - {kind: Widget, path: spec.template}\n", "podTemplates[0]: group is required"},
		{"podTemplates:\n  - {group: example.com, kind: Widget}\n", "podTemplates[0]: path is required"},
		{"podTemplates:\n  - {group: example.com, kind: Widget, path: 'spec.templates[0]'}\n", "no list indexes"},
		{"podTemplates:\n  - {group: apps, kind: Deployment, path: spec.template}\n", "podTemplates[0]: apps Deployment is a built-in kind"},
		{"podTemplates:\n  - {group: example.com, kind: Widget, path: spec.a}\n  - {group: example.com, kind: Widget, path: spec.a}\n", "podTemplates[1]: repeats podTemplates[0]"},
		{"podTemplates:\n  - {group: example.com, kind: Widget, path: spec.a, resource: widgets}\n", "field resource not found"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}

func TestCheckRuleIDs(t *testing.T) {
	r := &rules.Rule{ID: "known", Category: finding.CategoryImages, Title: "t", Rationale: "r", Remediation: "f",
		References: finding.References{MITRE: []string{"T1"}}, CheckInventory: func(*rules.Pass) {}}
	reg, err := rules.NewRegistry([]*rules.Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]byte("rules:\n  disable: [known, typo]\n  severity: {other: low}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.CheckRuleIDs(reg)
	if err == nil || !strings.Contains(err.Error(), `rules.disable: unknown rule "typo"`) || !strings.Contains(err.Error(), `rules.severity: unknown rule "other"`) {
		t.Errorf("CheckRuleIDs = %v", err)
	}
	if c.Enabled(r) {
		t.Error("disabled rule reported enabled")
	}
}

func TestPodTemplates(t *testing.T) {
	c, err := Parse([]byte("podTemplates:\n  - group: example.com\n    kind: Widget\n    path: spec.podTemplate\n"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := c.Templates()
	if err != nil || tmpl == nil {
		t.Fatalf("Templates() = %v, %v", tmpl, err)
	}
	if !tmpl.Has(schema.GroupKind{Group: "example.com", Kind: "Widget"}) || !tmpl.Has(schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}) {
		t.Errorf("table lacks the config entry or a well-known kind: %v", tmpl.Kinds())
	}
	// A config without entries uses the well-known table (nil).
	if tmpl, err := (&Config{}).Templates(); tmpl != nil || err != nil {
		t.Errorf("empty config: %v, %v", tmpl, err)
	}
	// A Config built in code is checked when the table is asked for.
	bad := &Config{PodTemplates: []PodTemplate{{Group: "example.com", Kind: "Widget"}}}
	if _, err := bad.Templates(); err == nil || !strings.Contains(err.Error(), "podTemplates[0]: path is required") {
		t.Errorf("bad built config: %v", err)
	}
}

// Errors name the config file.
func TestLoadNamesTheFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(file, []byte("podTemplates:\n  - {group: example.com, kind: Widget, path: 'spec..x'}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file)
	if err == nil || !strings.HasPrefix(err.Error(), "config "+file+": podTemplates[0]: path \"spec..x\"") {
		t.Errorf("Load error = %v", err)
	}
}

func TestImageConfig(t *testing.T) {
	good := `
images:
  vulnerabilities:
    ignoreUnfixed: true
    ignore:
      - id: CVE-2024-1234
        packages: [libtiff*]
        reason: we never decode TIFF
        expires: 2027-01-31
  signatures:
    keys: [cosign.pub]
    require:
      - namespaces: [prod-*]
`
	c, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if ig := c.Images.Vulnerabilities.Ignore[0]; ig.ExpiresAt().Format("2006-01-02") != "2027-01-31" || !c.Images.Signatures.Enabled() {
		t.Errorf("parsed %+v", c.Images)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"images:\n  vulnerabilities:\n    ignore:\n      - id: X\n", "reason is required"},
		{"images:\n  vulnerabilities:\n    ignore:\n      - reason: r\n", "id is required"},
		{"images:\n  vulnerabilities:\n    ignore:\n      - {id: X, reason: r, expires: soon}\n", "not a YYYY-MM-DD date"},
		{"images:\n  vulnerabilities:\n    ignore:\n      - {id: X, reason: r, status: maybe}\n", "status \"maybe\""},
		{"images:\n  signatures:\n    require: [{namespaces: [prod]}]\n", "no keys or identities"},
		{"images:\n  signatures:\n    keys: [k]\n    require: [{}]\n", "give namespaces or registries"},
		{"images:\n  signatures:\n    identities: [{issuer: i, subject: s}]\n", "need a trustedRoot"},
		{"images:\n  signatures:\n    trustedRoot: r\n    identities: [{issuer: i}]\n", "exactly one of"},
	} {
		if _, err := Parse([]byte(bad.yaml)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.yaml, err, bad.want)
		}
	}
}
