package config

import (
	"strings"
	"testing"

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
