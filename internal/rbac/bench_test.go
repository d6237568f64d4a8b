package rbac

import (
	"testing"

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
