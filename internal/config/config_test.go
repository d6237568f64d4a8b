package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
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

// TestRuleExceptions: the exceptions as the config-auditing rules see them,
// with their file and line, and the same matching as Except.
func TestRuleExceptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kguard.yaml")
	os.WriteFile(file, []byte("failOn: high\nexceptions:\n  - rules: [image-*]\n    namespaces: [shop]\n    reason: r1\n\n  - reason: everything\n    expires: 2026-01-31\n"), 0o644)
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	ex := c.RuleExceptions()
	if len(ex) != 2 || ex[0].Source != (inventory.Source{File: file, Line: 3}) || ex[1].Source.Line != 7 {
		t.Fatalf("exceptions = %+v", ex)
	}
	if ex[0].Describe != `rules image-*; namespaces shop (reason: "r1")` || ex[1].Describe != `everything (reason: "everything")` {
		t.Errorf("descriptions = %q, %q", ex[0].Describe, ex[1].Describe)
	}
	shop := inventory.Ref{Kind: "Pod", Namespace: "shop", Name: "web"}
	if !ex[0].MatchesRule("image-latest-tag") || ex[0].MatchesRule("privileged-container") ||
		!ex[0].MatchesObject(shop) || ex[0].MatchesObject(inventory.Ref{Namespace: "dev"}) {
		t.Error("matching differs from the exception's globs")
	}
	lastDay := time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC)
	if ex[1].Expired(lastDay) || !ex[1].Expired(lastDay.Add(time.Hour)) {
		t.Error("an exception applies through its last day and not after")
	}
	// Except agrees: the expired exception no longer suppresses.
	if _, ok := c.Except("privileged-container", shop, lastDay.Add(time.Hour)); ok {
		t.Error("Except applied an expired exception")
	}
}
