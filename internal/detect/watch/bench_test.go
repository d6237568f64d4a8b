package watch

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkLogPipeline reads an audit log once (from file to JSON lines
// of alerts: decode, rules, dedup, rate limit, write) and reports events
// per second. The mix is mostly controller and node traffic with a few
// alerting requests, as in a real log.
func BenchmarkLogPipeline(b *testing.B) {
	const n = 20000
	mix := []ev{
		{verb: "get", resource: "pods", ns: "shop", name: "web-0", user: "system:node:worker-1", code: 200},
		{verb: "watch", resource: "configmaps", user: "system:kube-controller-manager", code: 200},
		{verb: "update", resource: "leases", ns: "kube-node-lease", name: "worker-1", user: "system:node:worker-1", code: 200},
		{verb: "patch", resource: "pods", sub: "status", ns: "shop", name: "web-0", user: "system:node:worker-1", code: 200},
		{verb: "list", resource: "pods", user: "system:kube-scheduler", code: 200},
		{verb: "create", resource: "events", ns: "shop", name: "web-1.17f", user: "system:serviceaccount:kube-system:replicaset-controller"},
		{verb: "get", resource: "secrets", ns: "shop", name: "db", user: "system:serviceaccount:shop:web", code: 200},
		{verb: "create", resource: "pods", sub: "exec", ns: "shop", name: "web-0", user: "alice"},
		{verb: "create", resource: "pods", ns: "shop", name: "p", user: "alice", obj: privPod},
		{verb: "list", resource: "secrets", ns: "kube-system", user: "mallory", code: 403},
	}
	var buf bytes.Buffer
	for i := range n {
		e := mix[i%len(mix)]
		e.at = time.Duration(i) * time.Millisecond
		buf.WriteString(e.String())
	}
	path := filepath.Join(b.TempDir(), "audit.log")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	rs := defaults(b)
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		w, err := New(Options{Path: path, Rules: rs, Out: io.Discard})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		if st := w.Stats(); st.Events != n || st.Alerts == 0 {
			b.Fatalf("stats %+v, want %d events and some alerts", st, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
