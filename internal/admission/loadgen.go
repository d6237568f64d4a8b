package admission

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// LoadOptions drive a load test against a webhook URL.
type LoadOptions struct {
	URL string
	// Rate is requests per second, sent open-loop: a slow server does not
	// slow the sender down, so latency is measured honestly.
	Rate     int
	Duration time.Duration
	// Workers bounds requests in flight.
	Workers int
	Client  *http.Client
	// Body is the AdmissionReview to send; default TypicalDeploymentReview.
	Body []byte
}

// LoadResult summarises a load test.
type LoadResult struct {
	Sent, OK, Errors int
	// Missed counts requests not sent because every worker was busy.
	Missed int
	// P50..Max are request latencies: from sending to the complete answer.
	P50, P90, P99, Max time.Duration
	// LagP50 and LagP99 are how late requests left against the schedule
	// (the generator's own scheduling delay): large values mean the
	// machine, not the server, set the pace.
	LagP50, LagP99            time.Duration
	HeapBeforeMB, HeapAfterMB float64
	Elapsed                   time.Duration
}

func (r LoadResult) String() string {
	return fmt.Sprintf("sent %d in %s (%.0f/s): ok %d, errors %d, missed %d; latency p50 %s p90 %s p99 %s max %s; schedule lag p50 %s p99 %s; heap %.1f MB -> %.1f MB",
		r.Sent, r.Elapsed.Round(time.Millisecond), float64(r.Sent)/r.Elapsed.Seconds(), r.OK, r.Errors, r.Missed,
		r.P50, r.P90, r.P99, r.Max, r.LagP50, r.LagP99, r.HeapBeforeMB, r.HeapAfterMB)
}

// TypicalDeploymentReview is a realistic AdmissionReview: a Deployment
// with two containers, probes, resources, env and volumes.
func TypicalDeploymentReview() []byte {
	obj := `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"checkout","namespace":"shop","labels":{"app":"checkout","team":"payments"}},
"spec":{"replicas":3,"selector":{"matchLabels":{"app":"checkout"}},"template":{"metadata":{"labels":{"app":"checkout"}},
"spec":{"serviceAccountName":"checkout","automountServiceAccountToken":false,
"securityContext":{"runAsNonRoot":true,"runAsUser":10001,"seccompProfile":{"type":"RuntimeDefault"}},
"containers":[{"name":"app","image":"ghcr.io/acme/checkout:4.2.1","ports":[{"name":"http","containerPort":8080}],
"env":[{"name":"LOG_LEVEL","value":"info"},{"name":"DB_HOST","value":"db.shop.svc"}],
"readinessProbe":{"httpGet":{"path":"/ready","port":"http"}},"livenessProbe":{"httpGet":{"path":"/health","port":"http"}},
"resources":{"requests":{"cpu":"200m","memory":"256Mi"},"limits":{"cpu":"1","memory":"512Mi"}},
"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}},
"volumeMounts":[{"name":"tmp","mountPath":"/tmp"}]},
{"name":"proxy","image":"envoyproxy/envoy:v1.31.2","ports":[{"containerPort":9901}],
"resources":{"requests":{"cpu":"50m","memory":"64Mi"},"limits":{"cpu":"200m","memory":"128Mi"}},
"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}],
"volumes":[{"name":"tmp","emptyDir":{}}]}}}}`
	r := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID("00000000-0000-0000-0000-000000000001"),
			Kind:      metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
			Resource:  metav1.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"},
			Namespace: "shop", Name: "checkout", Operation: admissionv1.Create,
			Object: k8sruntime.RawExtension{Raw: []byte(obj)},
		},
	}
	b, _ := json.Marshal(r)
	return b
}

// RunLoad sends opts.Rate requests per second for opts.Duration and
// measures each. It stops early when ctx ends.
func RunLoad(ctx context.Context, opts LoadOptions) (LoadResult, error) {
	if opts.Rate <= 0 || opts.Duration <= 0 {
		return LoadResult{}, fmt.Errorf("rate and duration must be positive")
	}
	if opts.Workers <= 0 {
		opts.Workers = 64
	}
	if opts.Body == nil {
		opts.Body = TypicalDeploymentReview()
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{InsecureSkipVerify: true}, // loopback load test of our own server
			MaxIdleConnsPerHost: opts.Workers,
		}}
	}
	var res LoadResult
	res.HeapBeforeMB = heapMB()
	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, opts.Rate*int(opts.Duration.Seconds()+1))
	)
	// Each job carries the time it was due, so that lateness of the
	// generator is measured (and reported) rather than hidden.
	lags := make([]time.Duration, 0, cap(latencies))
	jobs := make(chan time.Time, opts.Workers)
	var wg sync.WaitGroup
	for i := 0; i < opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for due := range jobs {
				sent := time.Now()
				ok := send(ctx, client, opts.URL, opts.Body)
				d := time.Since(sent)
				mu.Lock()
				latencies = append(latencies, d)
				lags = append(lags, sent.Sub(due))
				if ok {
					res.OK++
				} else {
					res.Errors++
				}
				mu.Unlock()
			}
		}()
	}
	// Requests are due on a fixed schedule (a Ticker would drop ticks when
	// the process is busy, quietly sending less than asked).
	interval := time.Second / time.Duration(opts.Rate)
	start := time.Now()
	deadline := start.Add(opts.Duration)
	timer := time.NewTimer(0)
	defer timer.Stop()
loop:
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if !due.Before(deadline) {
			break
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break loop
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- due:
			res.Sent++
		default:
			res.Missed++ // every worker busy: counted, never hidden
		}
	}
	close(jobs)
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(latencies)
	slices.Sort(lags)
	pct := func(ds []time.Duration, p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[min(len(ds)-1, int(float64(len(ds))*p))]
	}
	res.P50, res.P90, res.P99 = pct(latencies, 0.50), pct(latencies, 0.90), pct(latencies, 0.99)
	res.LagP50, res.LagP99 = pct(lags, 0.50), pct(lags, 0.99)
	if len(latencies) > 0 {
		res.Max = latencies[len(latencies)-1]
	}
	runtime.GC()
	res.HeapAfterMB = heapMB()
	return res, nil
}

func send(ctx context.Context, c *http.Client, url string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return false
	}
	return resp.StatusCode == http.StatusOK && out.Response != nil
}

func heapMB() float64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}
