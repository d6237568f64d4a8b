package framework

import (
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
)

func registry(t *testing.T) *rules.Registry {
	t.Helper()
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestFrameworksLoad(t *testing.T) {
	fws, err := All()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fws {
		names = append(names, f.Name)
	}
	if !slices.Equal(names, Names()) {
		t.Errorf("frameworks %v, want %v", names, Names())
	}
}

// TestCISIsTheWholeBenchmark: the CIS list has every check of the
// benchmark, 131 of which 65 automated (counts of CIS Kubernetes
// Benchmark v1.12.0).
func TestCISIsTheWholeBenchmark(t *testing.T) {
	f, err := Get("cis")
	if err != nil {
		t.Fatal(err)
	}
	automated := 0
	for _, s := range f.Sections {
		for _, c := range s.Controls {
			if !c.Manual {
				automated++
			}
		}
	}
	if f.Len() != 131 || automated != 65 {
		t.Errorf("CIS: %d controls, %d automated; want 131 and 65", f.Len(), automated)
	}
}

// TestMappingsAgreeWithTheRegistry: every reference a rule makes names a
// control, and every rule a control names exists; each framework maps some
// rules. Negative controls in the same run: a stale reference and an
// unknown rule must be caught.
func TestMappingsAgreeWithTheRegistry(t *testing.T) {
	fws, err := All()
	if err != nil {
		t.Fatal(err)
	}
	rs := registry(t).Rules()
	if err := Check(fws, rs); err != nil {
		t.Errorf("mappings disagree with the registry:\n%v", err)
	}
	for _, f := range fws {
		if n := len(f.RuleIDs(rs)); n == 0 {
			t.Errorf("framework %s maps no rule", f.Name)
		}
	}

	stale := &rules.Rule{ID: "stale-ref", References: finding.References{CIS: []string{"5.7.4"}, PSS: "baseline: Privileged Container"}}
	err = Check(fws, append(slices.Clone(rs), stale))
	for _, want := range []string{`rule stale-ref: cis reference "5.7.4"`, `rule stale-ref: pss reference "baseline: Privileged Container"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a stale reference was not caught: %v", err)
		}
	}
	broken := *fws[1]
	broken.Sections = slices.Clone(broken.Sections)
	broken.Sections[0].Controls = append([]Control{{ID: "x", Title: "x", Rules: []string{"no-such-rule"}}}, broken.Sections[0].Controls...)
	if err := Check([]*Framework{&broken}, rs); err == nil || !strings.Contains(err.Error(), `unknown rule "no-such-rule"`) {
		t.Errorf("an unknown rule was not caught: %v", err)
	}
}

// TestPSSProfiles: every Pod Security rule of kguard maps to exactly one
// control of the Restricted profile, and the baseline rules (and only
// they) to the Baseline profile.
func TestPSSProfiles(t *testing.T) {
	rs := registry(t).Rules()
	base, _ := Get("pss-baseline")
	restr, _ := Get("pss-restricted")
	count := func(f *Framework) map[string]int {
		n := map[string]int{}
		for _, ids := range f.RulesByControl(rs) {
			for _, id := range ids {
				n[id]++
			}
		}
		return n
	}
	inBase, inRestr := count(base), count(restr)
	for _, r := range rs {
		if !strings.HasPrefix(r.ID, "pss-") {
			continue
		}
		if inRestr[r.ID] != 1 {
			t.Errorf("%s maps to %d restricted controls, want 1", r.ID, inRestr[r.ID])
		}
		if want := strings.HasPrefix(r.ID, "pss-baseline-"); (inBase[r.ID] > 0) != want {
			t.Errorf("%s in baseline: %v, want %v", r.ID, inBase[r.ID] > 0, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"name: x\n", "required"},
		{"name: x\ntitle: t\nversion: v\nmapping: 1\nsource: s\nurl: u\nkey: iso\nsections: [{id: a, title: a, controls: [{id: c, title: c}]}]\n", `key "iso"`},
		{"name: x\ntitle: t\nversion: v\nmapping: 1\nsource: s\nurl: u\nkey: cis\nsections: [{id: a, title: a, controls: [{id: c, title: c}, {id: c, title: d}]}]\n", "listed twice"},
		{"name: x\ntitle: t\nversion: v\nmapping: 1\nsource: s\nurl: u\nkey: cis\nsections: [{id: a, title: a, controls: [{id: c, title: c, rule: [x]}]}]\n", "field rule not found"},
	} {
		if _, err := Parse([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func rule(id string, refs finding.References) *rules.Rule {
	return &rules.Rule{ID: id, Category: finding.CategoryImages, Severity: finding.SeverityHigh, Title: id, References: refs}
}

// TestEvaluate: statuses and the score on a small hand-made framework and
// result, worked out by hand.
func TestEvaluate(t *testing.T) {
	f, err := Parse([]byte(`name: t
title: Test
version: "1"
mapping: 1
source: test
url: https://example.com
key: cis
sections:
  - id: "1"
    title: One
    note: checked on the node
    controls:
      - {id: "1.1", title: failing}
      - {id: "1.2", title: passing}
      - {id: "1.3", title: rule disabled}
      - {id: "1.4", title: no rule}
      - {id: "1.5", title: "no rule, manual", manual: true}
      - {id: "1.6", title: rule broke}
      - {id: "1.7", title: "one ran, one did not", rules: [off]}
`))
	if err != nil {
		t.Fatal(err)
	}
	bad := rule("bad", finding.References{CIS: []string{"1.1", "1.7"}})
	good := rule("good", finding.References{CIS: []string{"1.2 (with a note)", "1.7"}})
	off := rule("off", finding.References{CIS: []string{"1.3"}})
	broke := rule("broke", finding.References{CIS: []string{"1.6"}})
	res := &scan.Result{
		Rules:        []*rules.Rule{bad, good, broke},
		Findings:     []finding.Finding{{Rule: "bad"}, {Rule: "bad"}},
		Suppressed:   []finding.Finding{{Rule: "good"}}, // suppressed: does not fail
		NotEvaluated: []finding.NotEvaluated{{Subject: "rule broke on Pod x", Reason: "internal error: boom"}},
	}
	r := Evaluate(f, res, []*rules.Rule{bad, good, off, broke})
	want := map[string]Status{"1.1": Fail, "1.2": Pass, "1.3": NotEvaluated, "1.4": NotEvaluated, "1.5": Manual, "1.6": NotEvaluated, "1.7": Fail}
	for _, c := range r.Controls {
		if c.Status != want[c.ID] {
			t.Errorf("control %s: %s (%s), want %s", c.ID, c.Status, c.Reason, want[c.ID])
		}
	}
	reasons := map[string]string{}
	for _, c := range r.Controls {
		reasons[c.ID] = c.Reason
	}
	for id, want := range map[string]string{
		"1.3": "its rules did not run (disabled, or not part of this command): off",
		"1.4": "checked on the node",
		"1.6": "rule broke could not be evaluated: internal error: boom",
	} {
		if reasons[id] != want {
			t.Errorf("control %s: reason %q, want %q", id, reasons[id], want)
		}
	}
	if c := r.Controls[0]; c.Findings != 2 || !slices.Equal(c.Failing, []RuleFindings{{"bad", 2}}) {
		t.Errorf("control 1.1: %+v", c)
	}
	// 1 pass, 2 fail: score 33%.
	if r.Pass != 1 || r.Fail != 2 || r.NotEvaluated != 3 || r.Manual != 1 || r.ScoreText() != "33%" || r.Partial {
		t.Errorf("counts %d/%d/%d/%d, score %s, partial %v", r.Pass, r.Fail, r.NotEvaluated, r.Manual, r.ScoreText(), r.Partial)
	}
	res.NotEvaluated = append(res.NotEvaluated, finding.NotEvaluated{Subject: "secrets", Reason: "forbidden"})
	if !Evaluate(f, res, nil).Partial {
		t.Error("a resource that could not be read must make the result partial")
	}
}
