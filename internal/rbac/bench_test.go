package rbac

import (
	"testing"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rbac/builtin"
	"github.com/kguard/kguard/internal/rbac/rbactest"
)

func BenchmarkBuild(b *testing.B) {
	inv := rbactest.Synthetic()
	for b.Loop() {
		Build(inv)
	}
}

func BenchmarkWhoCan(b *testing.B) {
	m := Build(rbactest.Synthetic())
	req := Request{Verb: "get", Resource: "secrets", Namespace: "ns-07"}
	var n int
	for b.Loop() {
		n = len(m.WhoCan(req))
	}
	if n == 0 {
		b.Fatal("nobody can: the benchmark measures nothing")
	}
}

func BenchmarkAllowed(b *testing.B) {
	m := Build(rbactest.Synthetic())
	u := ForServiceAccount("ns-07", "sa-0007")
	req := Request{Verb: "list", Resource: "pods", Namespace: "ns-07"}
	for b.Loop() {
		m.Allowed(u, req)
	}
}

// withBuiltinPolicy attaches the newest built-in policy, as the CLI does
// for files.
func withBuiltinPolicy(b *testing.B, inv *inventory.Inventory) *inventory.Inventory {
	inv, _, err := builtin.Attach(inv, k8sversions.Latest)
	if err != nil {
		b.Fatal(err)
	}
	return inv
}

// BenchmarkBuildBuiltins: the synthetic inventory with the built-in
// policy, as kguard builds the model of files.
func BenchmarkBuildBuiltins(b *testing.B) {
	inv := withBuiltinPolicy(b, rbactest.Synthetic())
	for b.Loop() {
		Build(inv)
	}
}

// BenchmarkBuildBuiltinsOnly: the built-in policy's share of every model
// of files (an input with no RBAC objects): its roles, aggregation and
// bindings.
func BenchmarkBuildBuiltinsOnly(b *testing.B) {
	inv := withBuiltinPolicy(b, inventory.New(nil))
	var n int
	for b.Loop() {
		n = len(Build(inv).Bindings)
	}
	b.ReportMetric(float64(n), "bindings")
}

// BenchmarkPathsBuiltins is BenchmarkPaths with the built-in policy (its
// bindings' subjects are nodes of the graph too).
func BenchmarkPathsBuiltins(b *testing.B) {
	m := Build(withBuiltinPolicy(b, pathsInventory()))
	var n int
	for b.Loop() {
		n = len(m.EscalationPaths())
	}
	b.ReportMetric(float64(n), "paths")
}
