package vap

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/inventorytest"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/rules/rulestest"
	"github.com/kguard/kguard/internal/scan"
)

// TestCELAgreesWithGoRules: for every exported rule, every object of its
// fire and pass fixtures gets the same verdict from the CEL policy (run by
// cel-go) as from the Go check.
func TestCELAgreesWithGoRules(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	policies, _, err := Export(reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(policies) == 0 {
		t.Fatal("no rule has a CEL form")
	}
	for _, p := range policies {
		t.Run(p.Rule.ID, func(t *testing.T) {
			ev, err := NewEvaluator(p.Policy)
			if err != nil {
				t.Fatal(err)
			}
			fire, pass := rulestest.Fixtures("../../rules", p.Rule)
			var denied, allowed int
			for _, file := range append(fire, pass...) {
				for _, o := range inventorytest.Objects(t, file) {
					if !applies(p.Rule, o) {
						continue
					}
					goFires := fires(t, p.Rule, o)
					celAllows, err := ev.Allowed(asMap(t, o))
					if err != nil {
						t.Fatalf("%s %s: CEL error: %v", file, o.Ref, err)
					}
					if goFires == celAllows {
						t.Errorf("%s %s: Go rule fires=%v but CEL allows=%v", file, o.Ref, goFires, celAllows)
					}
					if celAllows {
						allowed++
					} else {
						denied++
					}
				}
			}
			if denied == 0 || allowed == 0 {
				t.Errorf("fixtures exercise only one verdict (denied %d, allowed %d)", denied, allowed)
			}
		})
	}
}

func applies(r *rules.Rule, o *inventory.Object) bool {
	if r.CheckWorkload != nil {
		_, ok := extract.PodSpec(o)
		return ok
	}
	return r.AppliesTo(o.GroupKind())
}

func fires(t *testing.T, r *rules.Rule, o *inventory.Object) bool {
	reg, err := rules.NewRegistry([]*rules.Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), inventory.New([]*inventory.Object{o}), scan.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Findings)+len(res.Suppressed) > 0
}

// asMap is the object as the API server hands it to CEL: its JSON form.
func asMap(t *testing.T, o *inventory.Object) map[string]any {
	b, err := json.Marshal(o.Typed)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestExportShape(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	policies, unsupported, err := Export(reg, Options{Action: "Warn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(policies)+len(unsupported) != reg.Len() {
		t.Errorf("%d exported + %d unsupported != %d rules", len(policies), len(unsupported), reg.Len())
	}
	for _, p := range policies {
		if p.Binding.Spec.PolicyName != p.Policy.Name || !strings.HasPrefix(p.Policy.Name, "kguard-") {
			t.Errorf("%s: binding does not point at its policy", p.Rule.ID)
		}
		if got := p.Binding.Spec.ValidationActions; len(got) != 2 || got[0] != "Warn" || got[1] != "Audit" {
			t.Errorf("%s: actions %v", p.Rule.ID, got)
		}
		sel := p.Binding.Spec.MatchResources.NamespaceSelector.MatchExpressions[0]
		if sel.Values[0] != "kube-system" {
			t.Errorf("%s: kube-system not excluded", p.Rule.ID)
		}
		if *p.Policy.Spec.FailurePolicy != "Fail" || p.Policy.Spec.Validations[0].Reason == nil {
			t.Errorf("%s: failure policy or reason missing", p.Rule.ID)
		}
	}
}

// TestDenySoftensLowRules: exported with Deny, low and info rules warn (as
// the webhook's restricted mode does); medium and above deny.
func TestDenySoftensLowRules(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	policies, _, err := Export(reg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var low, high int
	for _, p := range policies {
		first := string(p.Binding.Spec.ValidationActions[0])
		want := "Deny"
		if p.Rule.Severity < finding.SeverityMedium {
			want = "Warn"
			low++
		} else {
			high++
		}
		if first != want {
			t.Errorf("%s (%s): binding action %s, want %s", p.Rule.ID, p.Rule.Severity, first, want)
		}
	}
	if low == 0 || high == 0 {
		t.Errorf("want rules on both sides of the threshold, got %d low and %d higher", low, high)
	}
}
