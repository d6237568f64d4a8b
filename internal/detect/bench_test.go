package detect

import "testing"

// BenchmarkEvaluate runs the default rules over a mix of typical audit
// events (mostly reads by controllers and nodes, some writes, a few that
// alert) and reports events per second.
func BenchmarkEvaluate(b *testing.B) {
	rs, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	node := groups("system:nodes", "system:authenticated")
	evs := []Event{
		audit("get", "pods", "", "shop", "web-0", "system:node:worker-1", node),
		audit("watch", "configmaps", "", "", "", "system:kube-controller-manager"),
		audit("list", "pods", "", "", "", "system:kube-scheduler"),
		audit("update", "leases", "", "kube-node-lease", "worker-1", "system:node:worker-1", node),
		audit("patch", "pods", "status", "shop", "web-0", "system:node:worker-1", node),
		audit("get", "secrets", "", "shop", "db", "system:node:worker-1", node),
		audit("get", "deployments", "", "shop", "web", "system:serviceaccount:argocd:argocd-application-controller"),
		audit("create", "pods", "", "shop", "web-1", "system:serviceaccount:kube-system:replicaset-controller", obj(plainPod)),
		audit("create", "events", "", "shop", "web-1.17f", "system:serviceaccount:kube-system:replicaset-controller"),
		audit("create", "pods", "exec", "shop", "web-0", "alice"),
		audit("list", "secrets", "", "shop", "", "alice", code(403)),
		audit("get", "pods", "", "shop", "", "system:serviceaccount:shop:web", ips("203.0.113.9")),
	}
	b.ReportAllocs()
	b.ResetTimer()
	alerts := 0
	for i := 0; i < b.N; i++ {
		alerts += len(rs.Evaluate(evs[i%len(evs)]))
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "events/s")
	}
	if alerts == 0 && b.N >= len(evs) {
		b.Fatal("no alerts")
	}
}
