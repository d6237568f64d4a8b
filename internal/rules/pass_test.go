package rules

import (
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
)

var counted = &analysis.Analysis[int]{Name: "test.count", Build: func(inv *inventory.Inventory) int { return inv.Len() }}

func rule(mod func(*Rule)) *Rule {
	r := &Rule{
		ID: "r", Category: finding.CategoryImages, Title: "t", Rationale: "r", Remediation: "f",
		References: finding.References{URLs: []string{"https://example.com"}},
	}
	mod(r)
	return r
}

// panicText runs f and returns what it panicked with, as text ("" for none).
func panicText(f func()) (msg string) {
	defer func() {
		if v := recover(); v != nil {
			msg = v.(interface{ String() string }).String()
		}
	}()
	f()
	return ""
}

func TestPassHandsOutOnlyWhatWasDeclared(t *testing.T) {
	inv := inventory.New(nil)
	workload := func(p *Pass, w *extract.Workload) {}
	tests := []struct {
		name      string
		rule      *Rule
		use       func(p *Pass)
		wantPanic string
	}{
		{"declared analysis", rule(func(r *Rule) { r.CheckWorkload = workload; r.Requires = []analysis.Key{counted} }),
			func(p *Pass) { Use(p, counted) }, ""},
		{"undeclared analysis", rule(func(r *Rule) { r.CheckWorkload = workload }),
			func(p *Pass) { Use(p, counted) }, "rule r uses test.count without declaring it"},
		{"workload reads the inventory undeclared", rule(func(r *Rule) { r.CheckWorkload = workload; r.Requires = []analysis.Key{counted} }),
			func(p *Pass) { p.Inventory() }, "rule r uses objects without declaring it"},
		{"workload declares objects", rule(func(r *Rule) { r.CheckWorkload = workload; r.Requires = []analysis.Key{analysis.Objects} }),
			func(p *Pass) { p.Inventory() }, ""},
		{"inventory rule reads the inventory", rule(func(r *Rule) { r.CheckInventory = func(*Pass) {} }),
			func(p *Pass) { p.Inventory() }, ""},
		{"inventory rule uses an undeclared analysis", rule(func(r *Rule) { r.CheckInventory = func(*Pass) {} }),
			func(p *Pass) { Use(p, counted) }, "without declaring"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPass(tt.rule, inv, nil, nil)
			got := panicText(func() { tt.use(p) })
			switch {
			case tt.wantPanic == "" && got != "":
				t.Fatalf("unexpected refusal: %s", got)
			case tt.wantPanic != "" && !strings.Contains(got, tt.wantPanic):
				t.Fatalf("got %q, want a refusal containing %q", got, tt.wantPanic)
			}
		})
	}
}

func TestAtAdmissionIsDerived(t *testing.T) {
	object := func(*Pass, *inventory.Object) {}
	tests := []struct {
		name  string
		rule  *Rule
		scope Scope
		want  bool
	}{
		{"object rule", rule(func(r *Rule) { r.CheckObject = object }), ScopeObject, true},
		{"workload rule", rule(func(r *Rule) { r.CheckWorkload = func(*Pass, *extract.Workload) {} }), ScopeWorkload, true},
		{"object rule reading others", rule(func(r *Rule) { r.CheckObject = object; r.Requires = []analysis.Key{analysis.Objects} }), ScopeObject, false},
		{"object rule with an analysis", rule(func(r *Rule) { r.CheckObject = object; r.Requires = []analysis.Key{counted} }), ScopeObject, false},
		{"inventory rule", rule(func(r *Rule) { r.CheckInventory = func(*Pass) {} }), ScopeInventory, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.Scope(); got != tt.scope {
				t.Errorf("Scope() = %s, want %s", got, tt.scope)
			}
			if got := tt.rule.AtAdmission(); got != tt.want {
				t.Errorf("AtAdmission() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateRequirements(t *testing.T) {
	dup := rule(func(r *Rule) { r.CheckInventory = func(*Pass) {}; r.Requires = []analysis.Key{counted, counted} })
	if err := Validate(dup); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate requirement: got %v", err)
	}
	nilReq := rule(func(r *Rule) { r.CheckInventory = func(*Pass) {}; r.Requires = []analysis.Key{nil} })
	if err := Validate(nilReq); err == nil || !strings.Contains(err.Error(), "nil requirement") {
		t.Errorf("nil requirement: got %v", err)
	}
}

func TestPassCISAttribution(t *testing.T) {
	obj := &inventory.Object{Ref: inventory.Ref{Kind: "Pod", Name: "p"}, Meta: &metav1.ObjectMeta{}}
	r := rule(func(r *Rule) {
		r.CheckInventory = func(*Pass) {}
		r.References.CIS = []string{"1.2.6", "1.2.7"}
	})
	p := NewPass(r, inventory.New(nil), nil, nil)
	p.Report(obj, "", "all checks")
	p.ReportCIS(obj, finding.SeverityLow, []string{"1.2.7"}, "f", "one check")
	p.ReportCIS(obj, finding.SeverityLow, nil, "f", "no check")
	p.Evaluated(obj)
	p.Evaluated(obj, "1.2.6")
	fs := p.Findings()
	if len(fs) != 3 || !slices.Equal(fs[0].CIS, []string{"1.2.6", "1.2.7"}) || !slices.Equal(fs[1].CIS, []string{"1.2.7"}) || fs[2].CIS != nil {
		t.Errorf("findings' CIS: %+v", fs)
	}
	if fs[1].Severity != finding.SeverityLow {
		t.Errorf("ReportCIS severity = %v", fs[1].Severity)
	}
	// The finding's list is not the rule's backing array: appending to it
	// must not change the rule.
	_ = append(fs[0].CIS, "9.9")
	if len(r.References.CIS) != 2 {
		t.Fatal("finding shares the rule's slice capacity")
	}
	ev := p.AppendEvaluations(nil)
	if len(ev) != 2 || !slices.Equal(ev[0].CIS, []string{"1.2.6", "1.2.7"}) || !slices.Equal(ev[1].CIS, []string{"1.2.6"}) || ev[1].Rule != "r" || ev[1].Resource.Name != "p" {
		t.Errorf("evaluations: %+v", ev)
	}
	if len(p.Evaluations()) != 0 {
		t.Error("AppendEvaluations did not empty the pass")
	}
	for name, f := range map[string]func(){
		"finding":    func() { p.ReportCIS(obj, finding.SeverityLow, []string{"1.2.8"}, "", "x") },
		"evaluation": func() { p.Evaluated(obj, "1.2.6", "4.2.1") },
	} {
		if got := panicText(f); !strings.Contains(got, "not in its References.CIS") {
			t.Errorf("%s with an undeclared CIS check: panic %q", name, got)
		}
	}
}
