package watch

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/testutil/syncbuf"
	"github.com/kguard/kguard/internal/testutil/testcerts"
	"github.com/kguard/kguard/internal/tlsserve"
)

// newWebhook returns a webhook over a fresh Watcher writing to out.
func newWebhook(t *testing.T, opts WebhookOptions) (*Webhook, *Watcher, *syncbuf.Buffer) {
	t.Helper()
	out := &syncbuf.Buffer{}
	w, err := New(Options{Rules: defaults(t), Out: out})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewWebhook(w, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h, w, out
}

// eventList wraps events (String() lines of ev) as the API server's
// batch backend sends them.
func eventList(items ...string) string {
	for i, it := range items {
		items[i] = strings.TrimSpace(it)
	}
	return `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[` + strings.Join(items, ",") + `]}`
}

// counter reads one counter of reg; labels are name=value pairs.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !found {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func deliver(h http.Handler, method, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, WebhookPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestWebhookEventList(t *testing.T) {
	h, w, out := newWebhook(t, WebhookOptions{})
	get := ev{verb: "get", resource: "pods", ns: "shop", name: "web", user: "alice", code: 200}
	// The response body is dropped by the decoder, as on the log path.
	withResponse := strings.TrimSuffix(strings.TrimSpace(get.String()), "}") + `,"responseObject":{"kind":"Pod","spec":{"x":"y"}}}`
	body := eventList(privileged("p1", 0).String(), withResponse,
		ev{verb: "create", resource: "clusterrolebindings", name: "pwn", user: "mallory", at: time.Second,
			obj: `{"roleRef":{"name":"cluster-admin"}}`}.String())
	rec := deliver(h, http.MethodPost, body)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("status %d, body %q", rec.Code, rec.Body.String())
	}
	if st := w.Stats(); st.Events != 3 || st.Alerts != 2 {
		t.Errorf("stats %+v, want 3 events and 2 alerts", st)
	}
	recs := records(t, out)
	if len(byRule(recs, "k8s-privileged-pod-created")) != 1 || len(byRule(recs, "k8s-cluster-admin-binding")) != 1 {
		t.Errorf("alerts %v", recs)
	}
	if got := byRule(recs, "k8s-cluster-admin-binding"); len(got) == 1 && got[0]["user.name"] != "mallory" {
		t.Errorf("binding alert user %v", got[0]["user.name"])
	}

	// A single Event is accepted too, and an EventList item that is not an
	// audit event is skipped and counted.
	if rec := deliver(h, http.MethodPost, strings.TrimSpace(get.String())); rec.Code != http.StatusOK {
		t.Errorf("single event: status %d", rec.Code)
	}
	if rec := deliver(h, http.MethodPost, eventList(`{"kind":"Policy","apiVersion":"audit.k8s.io/v1"}`, get.String())); rec.Code != http.StatusOK {
		t.Errorf("list with a bad item: status %d", rec.Code)
	}
	if rec := deliver(h, http.MethodPost, eventList()); rec.Code != http.StatusOK {
		t.Errorf("empty list: status %d", rec.Code)
	}
	if st := w.Stats(); st.Events != 5 {
		t.Errorf("%d events, want 5", st.Events)
	}
	reg := w.Registry()
	for name, want := range map[string]float64{
		"kguard_watch_webhook_batches_total":       4,
		"kguard_watch_webhook_events_total":        5,
		"kguard_watch_webhook_items_skipped_total": 1,
		"kguard_watch_events_total":                5,
	} {
		if got := counter(t, reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

func TestWebhookRejects(t *testing.T) {
	h, w, _ := newWebhook(t, WebhookOptions{MaxBodyBytes: 4096})
	const marker = "kguard-do-not-echo"
	big := eventList(strings.Repeat(privileged(marker, 0).String()+",", 30) + privileged("last", 0).String())
	for _, c := range []struct {
		name, method, body string
		code               int
		reason             string
	}{
		{"GET", http.MethodGet, "", http.StatusMethodNotAllowed, rejectMethod},
		{"PUT", http.MethodPut, eventList(), http.StatusMethodNotAllowed, rejectMethod},
		{"too large", http.MethodPost, big, http.StatusRequestEntityTooLarge, rejectTooLarge},
		{"not JSON", http.MethodPost, `{"kind":"EventList","items":[` + marker, http.StatusBadRequest, rejectBadJSON},
		{"empty", http.MethodPost, "", http.StatusBadRequest, rejectBadJSON},
		{"JSON array", http.MethodPost, `["` + marker + `"]`, http.StatusBadRequest, rejectNotAudit},
		{"other kind", http.MethodPost, `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"` + marker + `"}}`, http.StatusBadRequest, rejectNotAudit},
		{"other group", http.MethodPost, `{"kind":"EventList","apiVersion":"events.k8s.io/v1","items":[]}`, http.StatusBadRequest, rejectNotAudit},
		{"event without verb", http.MethodPost, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","user":{"username":"` + marker + `"}}`, http.StatusBadRequest, rejectNotAudit},
		{"items not a list", http.MethodPost, `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":{"a":1}}`, http.StatusBadRequest, rejectNotAudit},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := counter(t, w.Registry(), "kguard_watch_webhook_rejected_total", "reason", c.reason)
			rec := deliver(h, c.method, c.body)
			if rec.Code != c.code {
				t.Errorf("status %d, want %d (%s)", rec.Code, c.code, rec.Body.String())
			}
			if strings.Contains(rec.Body.String(), marker) || rec.Body.Len() > 100 {
				t.Errorf("response quotes the body or is long: %q", rec.Body.String())
			}
			if c.code == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("Allow: %q", rec.Header().Get("Allow"))
			}
			if got := counter(t, w.Registry(), "kguard_watch_webhook_rejected_total", "reason", c.reason); got != before+1 {
				t.Errorf("rejected{reason=%s} = %v, want %v", c.reason, got, before+1)
			}
		})
	}
	if st := w.Stats(); st.Events != 0 {
		t.Errorf("rejected requests were evaluated: %+v", st)
	}

	// A body without Content-Length is cut at the limit while read.
	req := httptest.NewRequest(http.MethodPost, WebhookPath, io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked body over the limit: status %d", rec.Code)
	}
}

// serveWebhook runs the webhook over TLS with client certificates of
// clients verified, as `kguard audit watch --listen --client-ca-file`
// does.
func serveWebhook(t *testing.T, h http.Handler, server *testcerts.CA, clients *testcerts.CA) string {
	t.Helper()
	cert := server.Server(t, "127.0.0.1").TLS(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(WebhookPath, h)
	srv := &tlsserve.Server{TLSConfig: tlsserve.ServerConfig(tlsserve.StaticCertificate(&cert), clients.Pool()), ShutdownGrace: time.Second}
	srv.HandleProbes(mux)
	srv.Handler = mux
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "https://" + ln.Addr().String()
}

func TestWebhookMutualTLS(t *testing.T) {
	h, w, _ := newWebhook(t, WebhookOptions{RequireClientCert: true})
	ca, clients, other := testcerts.NewCA(t, "serving CA"), testcerts.NewCA(t, "client CA"), testcerts.NewCA(t, "other CA")
	base := serveWebhook(t, h, ca, clients)
	client := func(cert *testcerts.Pair) *http.Client {
		cfg := &tls.Config{RootCAs: ca.Pool()}
		if cert != nil {
			c := cert.TLS(t)
			// Present the certificate whatever the server asks for.
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &c, nil }
		}
		tr := &http.Transport{TLSClientConfig: cfg}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	body := eventList(privileged("p", 0).String())
	post := func(c *http.Client) (int, error) {
		resp, err := c.Post(base+WebhookPath, "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	if code, err := post(client(nil)); err != nil || code != http.StatusUnauthorized {
		t.Errorf("without a client certificate: %d, %v; want 401", code, err)
	}
	bad := other.Client(t, "mallory")
	if code, err := post(client(&bad)); err == nil {
		t.Errorf("a certificate of another CA got status %d", code)
	}
	good := clients.Client(t, "kube-apiserver")
	if code, err := post(client(&good)); err != nil || code != http.StatusOK {
		t.Errorf("with the API server's certificate: %d, %v", code, err)
	}
	// Probes need no certificate.
	resp, err := client(nil).Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("healthz without a client certificate: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if st := w.Stats(); st.Events != 1 {
		t.Errorf("%d events evaluated, want 1 (the authenticated delivery)", st.Events)
	}
	if got := counter(t, w.Registry(), "kguard_watch_webhook_rejected_total", "reason", rejectClientCert); got != 1 {
		t.Errorf("rejected{client_cert} = %v", got)
	}
}

func TestNewWebhookTwice(t *testing.T) {
	_, w, _ := newWebhook(t, WebhookOptions{})
	if _, err := NewWebhook(w, WebhookOptions{}); err == nil || !strings.Contains(err.Error(), "register") {
		t.Errorf("second webhook on one watcher: %v", err)
	}
}

func ExampleWebhook() {
	rs, err := detect.Default()
	if err != nil {
		fmt.Println(err)
		return
	}
	var out bytes.Buffer
	w, err := New(Options{Rules: rs, Out: &out})
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := NewWebhook(w, WebhookOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// In a program, serve h at WebhookPath over TLS (tlsserve.Server).
	body := `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a1","stage":"ResponseComplete",` +
		`"verb":"list","user":{"username":"system:serviceaccount:shop:api"},"objectRef":{"resource":"secrets"},` +
		`"responseStatus":{"code":200},"stageTimestamp":"2026-03-02T10:00:00Z"}]}`
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, WebhookPath, strings.NewReader(body)))
	fmt.Println(rec.Code)
	dec := json.NewDecoder(&out)
	for dec.More() {
		var a struct {
			Rule string `json:"rule.id"`
			User string `json:"user.name"`
		}
		if err := dec.Decode(&a); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(a.Rule, a.User)
	}
	// Output:
	// 200
	// k8s-secret-read-unexpected system:serviceaccount:shop:api
	// k8s-secrets-listed-cluster-wide system:serviceaccount:shop:api
}
