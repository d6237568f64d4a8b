package scan

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func testRule(id string, sev finding.Severity, mod func(*rules.Rule)) *rules.Rule {
	r := &rules.Rule{
		ID: id, Category: finding.CategoryImages, Severity: sev,
		Title: id, Rationale: "r", Remediation: "f",
		References: finding.References{URLs: []string{"https://example.com"}},
	}
	mod(r)
	return r
}

// everyContainer reports each container of each workload.
var everyContainer = testRule("every-container", finding.SeverityHigh, func(r *rules.Rule) {
	r.CheckWorkload = func(p *rules.Pass, w *extract.Workload) {
		for _, c := range w.Containers() {
			p.Reportf(w.Object, c.Path, "container %q", c.Container.Name)
		}
	}
})

func load(t *testing.T, docs string) *inventory.Inventory {
	t.Helper()
	objs, errs := inventory.DecodeFile("test.yaml", []byte(docs))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return inventory.New(objs)
}

const twoPods = `apiVersion: v1
kind: Pod
metadata:
  name: a
  namespace: prod
  annotations:
    kguard.io/ignore: "other-rule, every-container"
    kguard.io/ignore-reason: reviewed
spec:
  containers: [{name: one, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: dev}
spec:
  containers: [{name: two, image: x}, {name: three, image: x}]
`

func registry(t *testing.T, rs ...*rules.Rule) *rules.Registry {
	t.Helper()
	reg, err := rules.NewRegistry(rs)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestSuppressionAndOverrides(t *testing.T) {
	inv := load(t, twoPods)
	cfg, err := config.Parse([]byte(`
rules:
  severity: {every-container: low}
exceptions:
  - rules: ["every-*"]
    namespaces: [dev]
    names: [b]
    reason: "expired exception"
    expires: 2026-01-31
  - rules: ["every-container"]
    kinds: [Pod]
    names: [b]
    reason: "still valid"
    expires: 2026-02-28
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC) // last valid day of the second exception
	res, err := Run(context.Background(), inv, Options{Registry: registry(t, everyContainer), Config: cfg, Settings: &rules.Settings{Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 {
		t.Fatalf("all findings should be suppressed, got %+v", res.Findings)
	}
	if len(res.Suppressed) != 3 {
		t.Fatalf("got %d suppressed, want 3", len(res.Suppressed))
	}
	got := map[string]finding.Suppression{}
	for _, f := range res.Suppressed {
		got[f.Resource.Name+"/"+f.Message] = *f.Suppressed
		if f.Severity != finding.SeverityLow {
			t.Errorf("severity override not applied: %v", f.Severity)
		}
	}
	if s := got[`a/container "one"`]; s.By != "annotation" || s.Reason != "reviewed" {
		t.Errorf("annotation suppression = %+v", s)
	}
	if s := got[`b/container "two"`]; s.By != "config" || s.Reason != "still valid" {
		t.Errorf("config suppression = %+v (the expired exception must not apply)", s)
	}

	// A day later the second exception has expired too.
	res, err = Run(context.Background(), inv, Options{Registry: registry(t, everyContainer), Config: cfg, Settings: &rules.Settings{Now: now.Add(24 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 2 || len(res.Suppressed) != 1 {
		t.Fatalf("after expiry: %d findings, %d suppressed; want 2 and 1", len(res.Findings), len(res.Suppressed))
	}
	if s := res.Summarize(); s.Findings != 2 || s.Suppressed != 1 || s.BySeverity["low"] != 2 || s.Partial {
		t.Errorf("summary = %+v", s)
	}
}

func TestDisabledRulesDoNotRun(t *testing.T) {
	off := testRule("off-by-default", finding.SeverityHigh, func(r *rules.Rule) {
		r.DisabledByDefault = true
		r.CheckWorkload = everyContainer.CheckWorkload
	})
	inv := load(t, twoPods)
	for _, tt := range []struct {
		cfg  string
		want int
	}{
		{``, 2},
		{`rules: {disable: [every-container]}`, 0},
		// Pod a's annotation silences only every-container, so the
		// enabled rule reports all three containers: 2 + 3.
		{`rules: {enable: [off-by-default]}`, 5},
	} {
		cfg, err := config.Parse([]byte(tt.cfg))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), inv, Options{Registry: registry(t, everyContainer, off), Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != tt.want {
			t.Errorf("config %q: %d findings, want %d", tt.cfg, len(res.Findings), tt.want)
		}
	}
}

func TestPanickingRuleIsNotEvaluatedNotPassed(t *testing.T) {
	boom := testRule("boom", finding.SeverityHigh, func(r *rules.Rule) {
		r.CheckObject = func(p *rules.Pass, o *inventory.Object) {
			if o.Name == "b" {
				panic("nil map")
			}
		}
	})
	whole := testRule("whole", finding.SeverityHigh, func(r *rules.Rule) {
		r.CheckInventory = func(p *rules.Pass) { panic("bad graph") }
	})
	res, err := Run(context.Background(), load(t, twoPods), Options{Registry: registry(t, boom, whole, everyContainer)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.NotEvaluated) != 2 {
		t.Fatalf("got %+v, want 2 not-evaluated entries", res.NotEvaluated)
	}
	if res.NotEvaluated[0].Subject != "rule boom on Pod dev/b" || res.NotEvaluated[1].Subject != "rule whole" {
		t.Errorf("subjects = %q, %q", res.NotEvaluated[0].Subject, res.NotEvaluated[1].Subject)
	}
	if !res.Summarize().Partial {
		t.Error("summary must say partial")
	}
	if len(res.Findings) != 2 {
		t.Errorf("other rules must still run: %d findings", len(res.Findings))
	}
}

func TestSingleObjectOnlySkipsInventoryRules(t *testing.T) {
	whole := testRule("whole", finding.SeverityHigh, func(r *rules.Rule) {
		r.CheckInventory = func(p *rules.Pass) { p.Report(p.Inventory().Objects()[0], "", "x") }
	})
	res, err := Run(context.Background(), load(t, twoPods), Options{Registry: registry(t, whole, everyContainer), AtAdmissionOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Rule == "whole" {
			t.Fatal("inventory rule ran in single-object mode")
		}
	}
	if len(res.Rules) != 1 {
		t.Errorf("rules that ran = %d, want 1", len(res.Rules))
	}
}

// TestOrderIndependentOfParallelism: the same input gives byte-identical
// findings whatever the number of workers.
func TestOrderIndependentOfParallelism(t *testing.T) {
	var docs string
	for i := 0; i < 700; i++ {
		docs += fmt.Sprintf("---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d, namespace: ns%d}\nspec:\n  containers: [{name: c, image: x}, {name: d, image: 'y'}]\n", i, i%7)
	}
	inv := load(t, docs)
	var first []finding.Finding
	for _, workers := range []int{1, 2, 8} {
		res, err := Run(context.Background(), inv, Options{Registry: registry(t, everyContainer), Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 1400 {
			t.Fatalf("workers=%d: %d findings", workers, len(res.Findings))
		}
		if first == nil {
			first = res.Findings
			continue
		}
		if !reflect.DeepEqual(first, res.Findings) {
			t.Fatalf("workers=%d: order differs", workers)
		}
	}
	for i := 1; i < len(first); i++ {
		if finding.CompareFindings(&first[i-1], &first[i]) > 0 {
			t.Fatalf("findings not sorted at %d", i)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, load(t, twoPods), Options{Registry: registry(t, everyContainer)}); err == nil {
		t.Fatal("want an error from a cancelled scan")
	}
}

// TestEvaluationsCollected: what rules record with Pass.Evaluated reaches
// the result from object and inventory rules alike, in an order that does
// not depend on the workers.
func TestEvaluationsCollected(t *testing.T) {
	var docs string
	for i := 0; i < 600; i++ {
		docs += fmt.Sprintf("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%03d, namespace: ns}\n", i)
	}
	inv := load(t, docs)
	perObject := testRule("per-object", finding.SeverityLow, func(r *rules.Rule) {
		r.References.CIS = []string{"1.1.1", "1.1.2"}
		r.CheckObject = func(p *rules.Pass, o *inventory.Object) {
			p.Evaluated(o, "1.1.2")
		}
	})
	once := testRule("once", finding.SeverityLow, func(r *rules.Rule) {
		r.References.CIS = []string{"4.2.1"}
		r.CheckInventory = func(p *rules.Pass) { p.Evaluated(p.Inventory().Objects()[0]) }
	})
	var first []finding.Evaluation
	for _, workers := range []int{1, 3} {
		res, err := Run(context.Background(), inv, Options{Registry: registry(t, perObject, once), Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Evaluations) != 601 {
			t.Fatalf("workers=%d: %d evaluations, want 601", workers, len(res.Evaluations))
		}
		if e := res.Evaluations[0]; e.Rule != "once" || e.Resource.Name != "c000" || e.CIS[0] != "4.2.1" {
			t.Errorf("first evaluation %+v", e)
		}
		if e := res.Evaluations[600]; e.Rule != "per-object" || e.Resource.Name != "c599" || len(e.CIS) != 1 || e.CIS[0] != "1.1.2" {
			t.Errorf("last evaluation %+v", e)
		}
		if first == nil {
			first = res.Evaluations
		} else if !reflect.DeepEqual(first, res.Evaluations) {
			t.Errorf("workers=%d: evaluations differ", workers)
		}
	}
}
