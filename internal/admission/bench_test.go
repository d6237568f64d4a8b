package admission

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
)

// TestLoadOnLoopback runs a short, bounded load test against a real TLS
// server: every request must get a well-formed answer. Latency is measured
// by `kguard admit bench` and recorded in docs/performance.md, never
// asserted here.
func TestLoadOnLoopback(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	url, client, _, _ := startServer(t, &Handler{Registry: reg, Metrics: NewMetrics()})
	res, err := RunLoad(context.Background(), LoadOptions{URL: url + "/validate", Rate: 200, Duration: 2 * time.Second, Client: client, Workers: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Errors != 0 || res.OK != res.Sent || res.Sent == 0 {
		t.Fatalf("load test: %s", res)
	}
}

func typicalRequest(b *testing.B) *admissionv1.AdmissionRequest {
	var r admissionv1.AdmissionReview
	if err := json.Unmarshal(TypicalDeploymentReview(), &r); err != nil {
		b.Fatal(err)
	}
	return r.Request
}

// BenchmarkReview is the webhook's work for one typical Deployment,
// without HTTP.
func BenchmarkReview(b *testing.B) {
	reg, err := all.Registry()
	if err != nil {
		b.Fatal(err)
	}
	h := &Handler{Registry: reg}
	req := typicalRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if resp := h.Review(context.Background(), req); resp == nil {
			b.Fatal("nil response")
		}
	}
}

// BenchmarkScanSingleObject is the scanner's path for the same object: the
// webhook should add little on top of it.
func BenchmarkScanSingleObject(b *testing.B) {
	reg, err := all.Registry()
	if err != nil {
		b.Fatal(err)
	}
	raw := typicalRequest(b).Object.Raw
	b.ReportAllocs()
	for b.Loop() {
		objs, err := inventory.DecodeJSON(raw, inventory.Source{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := scan.Run(context.Background(), inventory.New(objs), scan.Options{Registry: reg, AtAdmissionOnly: true, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
