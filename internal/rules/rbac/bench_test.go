package rbac

import (
	"testing"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rbac/builtin"
	"github.com/kguard/kguard/internal/rbac/rbactest"
	"github.com/kguard/kguard/internal/rules"
)

// BenchmarkRules runs every rule of the family (risky grants and
// escalation paths, which build the RBAC model and the escalation graph)
// over 10,000 roles and bindings and 5,000 service accounts.
func BenchmarkRules(b *testing.B) {
	inv := rbactest.Synthetic()
	list := Rules()
	var n int
	for b.Loop() {
		analyses := analysis.NewMemo(inv)
		n = 0
		for _, r := range list {
			p := rules.NewPass(r, inv, nil, analyses)
			r.CheckInventory(p)
			n += len(p.Findings())
		}
	}
	if n == 0 {
		b.Fatal("no findings: the benchmark measures nothing")
	}
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkRulesBuiltins is BenchmarkRules with the built-in policy, as
// kguard scan runs the rules over files.
func BenchmarkRulesBuiltins(b *testing.B) {
	inv, _, err := builtin.Attach(rbactest.Synthetic(), k8sversions.Latest)
	if err != nil {
		b.Fatal(err)
	}
	list := Rules()
	var n int
	for b.Loop() {
		analyses := analysis.NewMemo(inv)
		n = 0
		for _, r := range list {
			p := rules.NewPass(r, inv, nil, analyses)
			r.CheckInventory(p)
			n += len(p.Findings())
		}
	}
	b.ReportMetric(float64(n), "findings")
}
