package netpol

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/kguard/kguard/internal/inventory"
)

// The benchmark cluster: 200 namespaces of 10 workloads each (2,000
// endpoints) and 5 policies per namespace (1,000): a default deny, an
// allow-from-namespaces, an allow-from-pod, a named-port rule and an egress
// policy, so that every Check meets selected pods on both sides.
const (
	benchNamespaces   = 200
	benchWorkloadsNS  = 10
	benchPoliciesNS   = 5
	benchProbePort    = 8080
	benchTeams        = 10
	benchWorkloadKind = 3 // Deployment, StatefulSet, CronJob in turn
)

var (
	benchOnce sync.Once
	benchInv  *inventory.Inventory
)

func benchYAML() string {
	var b strings.Builder
	doc := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\n---\n")
	}
	roles := []string{"frontend", "backend", "db"}
	for n := 0; n < benchNamespaces; n++ {
		ns := fmt.Sprintf("ns-%03d", n)
		doc("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels: {team: t%d, env: %s}",
			ns, n%benchTeams, []string{"prod", "dev"}[n%2])
		for w := 0; w < benchWorkloadsNS; w++ {
			name := fmt.Sprintf("w%d", w)
			labels := fmt.Sprintf("{app: %s, role: %s}", name, roles[w%len(roles)])
			spec := "containers: [{name: c, image: img, ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]}]"
			switch w % benchWorkloadKind {
			case 0:
				doc("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: %s, namespace: %s}\nspec:\n  template:\n    metadata: {labels: %s}\n    spec: {%s}",
					name, ns, labels, spec)
			case 1:
				doc("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: %s, namespace: %s}\nspec:\n  template:\n    metadata: {labels: %s}\n    spec: {%s}",
					name, ns, labels, spec)
			default:
				doc("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: %s, namespace: %s}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: %s}\n        spec: {%s}",
					name, ns, labels, spec)
			}
		}
		pol := func(name, spec string) {
			doc("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: %s, namespace: %s}\nspec:\n%s", name, ns, spec)
		}
		// Default deny ingress; every other namespace also denies egress.
		if n%2 == 0 {
			pol("default-deny", "  podSelector: {}\n  policyTypes: [Ingress, Egress]")
		} else {
			pol("default-deny", "  podSelector: {}\n  policyTypes: [Ingress]")
		}
		// Frontends admit two teams.
		pol("from-teams", fmt.Sprintf("  podSelector: {matchLabels: {role: frontend}}\n  ingress:\n  - from: [{namespaceSelector: {matchExpressions: [{key: team, operator: In, values: [t%d, t%d]}]}}]",
			n%benchTeams, (n+1)%benchTeams))
		// Backends admit frontends of the namespace, and one named pod.
		pol("from-pods", fmt.Sprintf("  podSelector: {matchLabels: {role: backend}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {role: frontend}}}, {podSelector: {matchLabels: {app: w%d}}}]",
			n%benchWorkloadsNS))
		// Databases admit backends of prod namespaces on the named port.
		pol("named-port", "  podSelector: {matchLabels: {role: db}}\n  ingress:\n  - from: [{namespaceSelector: {matchLabels: {env: prod}}, podSelector: {matchLabels: {role: backend}}}]\n    ports: [{port: http}]")
		// Egress: http anywhere in the cluster, DNS.
		pol("egress", "  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to: [{namespaceSelector: {}}]\n    ports: [{port: http}]\n  - ports: [{port: 53, protocol: UDP}]")
	}
	return b.String()
}

func benchInventory(b *testing.B) *inventory.Inventory {
	benchOnce.Do(func() {
		objs, errs := inventory.DecodeFile("bench.yaml", []byte(benchYAML()))
		if len(errs) > 0 {
			panic(fmt.Sprint(errs))
		}
		benchInv = inventory.New(objs)
	})
	m := Build(benchInv, Options{})
	if len(m.Pods) != benchNamespaces*benchWorkloadsNS || len(m.Policies) != benchNamespaces*benchPoliciesNS {
		b.Fatalf("bench cluster has %d pods and %d policies", len(m.Pods), len(m.Policies))
	}
	return benchInv
}

// BenchmarkBuild measures building the model alone.
func BenchmarkBuild(b *testing.B) {
	inv := benchInventory(b)
	b.ResetTimer()
	for b.Loop() {
		Build(inv, Options{})
	}
}

// BenchmarkMatrix builds the model and checks every workload against every
// workload on one port: 2,000 x 2,000 = 4 million Checks per operation.
func BenchmarkMatrix(b *testing.B) {
	inv := benchInventory(b)
	b.ResetTimer()
	var allowed int
	for b.Loop() {
		m := Build(inv, Options{})
		allowed = 0
		for _, from := range m.Pods {
			for _, to := range m.Pods {
				if m.Check(Connection{From: Endpoint{Pod: from}, To: Endpoint{Pod: to}, Port: benchProbePort}).Allowed() {
					allowed++
				}
			}
		}
	}
	n := benchNamespaces * benchWorkloadsNS
	b.ReportMetric(float64(n*n), "checks/op")
	b.ReportMetric(float64(allowed), "allowed/op")
}

// BenchmarkCheck is one query between two isolated pods of different
// namespaces: a frontend of a prod namespace (egress isolated) to a backend.
func BenchmarkCheck(b *testing.B) {
	m := Build(benchInventory(b), Options{})
	from, ok1 := m.Pod("ns-000", "w0")
	to, ok2 := m.Pod("ns-001", "w1")
	if !ok1 || !ok2 {
		b.Fatal("bench pods missing")
	}
	c := Connection{From: Endpoint{Pod: from}, To: Endpoint{Pod: to}, Port: benchProbePort}
	v := m.Check(c)
	if !v.Egress.Isolated || !v.Ingress.Isolated {
		b.Fatalf("bench pair not isolated on both sides: %+v", v)
	}
	b.ResetTimer()
	for b.Loop() {
		v = m.Check(c)
	}
	_ = v
}
