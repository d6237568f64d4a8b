package alert

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// secretPath and secretToken stand for what must never show in errors:
// chat webhook URLs carry their token in the path.
const (
	secretPath  = "/services/T000/B000/s3cr3t-path"
	secretToken = "Bearer s3cr3t-token"
)

type request struct {
	header http.Header
	body   []byte
}

// endpoint is a test webhook receiver answering with respond(attempt),
// attempt counting from 1.
type endpoint struct {
	mu      sync.Mutex
	reqs    []request
	respond func(attempt int, w http.ResponseWriter, r *http.Request)
	srv     *httptest.Server
}

func newEndpoint(t *testing.T, respond func(int, http.ResponseWriter, *http.Request)) *endpoint {
	t.Helper()
	e := &endpoint{respond: respond}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	e.reqs = append(e.reqs, request{r.Header.Clone(), b})
	n := len(e.reqs)
	e.mu.Unlock()
	if e.respond != nil {
		e.respond(n, w, r)
	}
}

func (e *endpoint) requests() []request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]request(nil), e.reqs...)
}

func (e *endpoint) url() string { return e.srv.URL + secretPath }

// sleeps records the waits asked for and returns at once (or with the
// context's error), so no test waits for real backoff.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func newHook(t *testing.T, opts WebhookOptions) *Webhook {
	t.Helper()
	w, err := NewWebhook(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w
}

// closeAll closes w with a generous deadline; the deadline is a guard
// against hanging, not an assertion.
func closeAll(t *testing.T, w *Webhook) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.Close(ctx)
}

var sample = Record{Timestamp: "2026-03-02T10:00:00Z", Kind: "alert", Module: "kguard", Severity: 73, LogLevel: "high",
	RuleID: "shell-in-container", RuleName: "shell-in-container", Message: "shell bash in shop/web-0 <pid 7> & more",
	ContainerID: "3f2a", Pod: "web-0", Namespace: "shop", Techniques: []string{"T1059.004"}, KguardAction: "killed"}

func TestWebhookJSON(t *testing.T) {
	ep := newEndpoint(t, nil)
	w := newHook(t, WebhookOptions{URL: ep.url(), Header: http.Header{"Authorization": {secretToken}, "X-Team": {"sec"}}})
	w.Send(sample)
	if err := closeAll(t, w); err != nil {
		t.Fatal(err)
	}
	reqs := ep.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	var got Record
	if err := json.Unmarshal(reqs[0].body, &got); err != nil {
		t.Fatalf("body: %v: %s", err, reqs[0].body)
	}
	if got.RuleID != sample.RuleID || got.Message != sample.Message || got.ContainerID != "3f2a" || got.KguardAction != "killed" {
		t.Errorf("decoded %+v", got)
	}
	h := reqs[0].header
	if h.Get("Authorization") != secretToken || h.Get("X-Team") != "sec" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", h)
	}
	if st := w.Stats(); st != (WebhookStats{Sent: 1}) {
		t.Errorf("stats %+v", st)
	}
}

func TestWebhookSlack(t *testing.T) {
	ep := newEndpoint(t, nil)
	w := newHook(t, WebhookOptions{URL: ep.url(), Format: FormatSlack})
	w.Send(sample)
	if err := closeAll(t, w); err != nil {
		t.Fatal(err)
	}
	reqs := ep.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	var msg struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type     string          `json:"type"`
			Text     json.RawMessage `json:"text"`
			Elements []struct{ Text string }
		} `json:"blocks"`
	}
	if err := json.Unmarshal(reqs[0].body, &msg); err != nil {
		t.Fatalf("body: %v: %s", err, reqs[0].body)
	}
	want := "[HIGH] shell-in-container: shell bash in shop/web-0 &lt;pid 7&gt; &amp; more (killed)"
	if msg.Text != want {
		t.Errorf("text %q\nwant %q", msg.Text, want)
	}
	if len(msg.Blocks) != 2 || msg.Blocks[0].Type != "section" || msg.Blocks[1].Type != "context" {
		t.Fatalf("blocks %s", reqs[0].body)
	}
	var details []string
	for _, e := range msg.Blocks[1].Elements {
		details = append(details, e.Text)
	}
	if d := strings.Join(details, "|"); !strings.Contains(d, "*pod*: web-0") || !strings.Contains(d, "*ATT&amp;CK*: T1059.004") {
		t.Errorf("details %s", d)
	}
}

func TestWebhookRetries(t *testing.T) {
	cases := []struct {
		name      string
		respond   func(int, http.ResponseWriter, *http.Request)
		attempts  int             // requests the server sees
		sent      uint64          // 1 delivered or 0 given up
		waits     []time.Duration // exact waits, when known
		waitRange [][2]time.Duration
	}{
		{"500 twice then ok", func(n int, w http.ResponseWriter, _ *http.Request) {
			if n <= 2 {
				w.WriteHeader(500)
			}
		}, 3, 1, nil, [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond}, {100 * time.Millisecond, 200 * time.Millisecond}}},
		{"429 with Retry-After", func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", "7")
				w.WriteHeader(http.StatusTooManyRequests)
			}
		}, 2, 1, []time.Duration{7 * time.Second}, nil},
		{"503 with a Retry-After over the cap", func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", "86400")
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}, 2, 1, []time.Duration{time.Minute}, nil},
		{"400 is not retried", func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(400) }, 1, 0, nil, nil},
		{"404 is not retried", func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }, 1, 0, nil, nil},
		{"always 502: gives up after the attempts", func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(502) },
			4, 0, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ep := newEndpoint(t, c.respond)
			sl := &sleeps{}
			var failures []error
			var mu sync.Mutex
			reg := prometheus.NewRegistry()
			w := newHook(t, WebhookOptions{URL: ep.url(), Attempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second,
				MaxRetryAfter: time.Minute, Sleep: sl.sleep, Registry: reg, Header: http.Header{"Authorization": {secretToken}},
				OnError: func(err error) { mu.Lock(); failures = append(failures, err); mu.Unlock() }})
			w.Send(sample)
			err := closeAll(t, w)
			if got := len(ep.requests()); got != c.attempts {
				t.Errorf("%d requests, want %d", got, c.attempts)
			}
			st := w.Stats()
			if st.Sent != c.sent || st.Dropped != 1-c.sent || st.Retries != uint64(c.attempts-1) {
				t.Errorf("stats %+v", st)
			}
			waits := sl.all()
			if len(waits) != c.attempts-1 {
				t.Errorf("waits %v for %d attempts", waits, c.attempts)
			}
			if c.waits != nil && !equalDurations(waits, c.waits) {
				t.Errorf("waits %v, want %v", waits, c.waits)
			}
			for i, r := range c.waitRange {
				if i < len(waits) && (waits[i] < r[0] || waits[i] > r[1]) {
					t.Errorf("wait %d = %v, want within %v", i, waits[i], r)
				}
			}
			m := gather(t, reg)
			if m["kguard_alert_webhook_sent_total"] != float64(c.sent) || m["kguard_alert_webhook_retries_total"] != float64(c.attempts-1) ||
				m["kguard_alert_webhook_dropped_total,reason=gave_up"] != float64(1-c.sent) {
				t.Errorf("metrics %v", m)
			}
			if c.sent == 1 {
				if err != nil || len(failures) != 0 {
					t.Errorf("Close: %v, failures %v", err, failures)
				}
				return
			}
			if err == nil || len(failures) != 1 {
				t.Fatalf("Close: %v, failures %v; want the failure reported", err, failures)
			}
			for _, e := range []error{err, failures[0]} {
				if s := e.Error(); strings.Contains(s, "s3cr3t") || !strings.Contains(s, ep.srv.URL) {
					t.Errorf("error %q: want the host and no secret", s)
				}
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWebhookUnreachable: a transport error (connection refused) is
// retried, and its error names the host but not the path.
func TestWebhookUnreachable(t *testing.T) {
	ep := newEndpoint(t, nil)
	url := ep.url()
	ep.srv.Close()
	sl := &sleeps{}
	w := newHook(t, WebhookOptions{URL: url, Attempts: 2, Sleep: sl.sleep, Header: http.Header{"Authorization": {secretToken}}})
	w.Send(sample)
	err := closeAll(t, w)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("Close: %v", err)
	}
	if st := w.Stats(); st.Retries != 1 || st.Dropped != 1 || len(sl.all()) != 1 {
		t.Errorf("stats %+v, waits %v", st, sl.all())
	}
}

// blocking returns a respond function that holds every request until
// release is closed (or the client gives up), announcing each on arrived.
func blocking() (respond func(int, http.ResponseWriter, *http.Request), arrived chan int, release chan struct{}) {
	arrived, release = make(chan int, 100), make(chan struct{})
	return func(n int, w http.ResponseWriter, r *http.Request) {
		arrived <- n
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, arrived, release
}

func TestWebhookQueueFull(t *testing.T) {
	respond, arrived, release := blocking()
	ep := newEndpoint(t, respond)
	reg := prometheus.NewRegistry()
	w := newHook(t, WebhookOptions{URL: ep.url(), Queue: 2, Registry: reg})
	w.Send(sample)
	<-arrived // the first is in flight, the queue is empty
	for range 5 {
		w.Send(sample) // 2 queued, 3 dropped, none blocking
	}
	if st := w.Stats(); st.Dropped != 3 {
		t.Errorf("stats %+v, want 3 dropped while the queue was full", st)
	}
	close(release)
	if err := closeAll(t, w); err == nil || !strings.Contains(err.Error(), "3 alerts not delivered") {
		t.Errorf("Close: %v", err)
	}
	if st := w.Stats(); st.Sent != 3 || st.Dropped != 3 {
		t.Errorf("stats %+v", st)
	}
	if m := gather(t, reg); m["kguard_alert_webhook_dropped_total,reason=queue_full"] != 3 || m["kguard_alert_webhook_sent_total"] != 3 {
		t.Errorf("metrics %v", m)
	}
}

func TestWebhookCloseCancelled(t *testing.T) {
	respond, arrived, release := blocking()
	defer close(release)
	ep := newEndpoint(t, respond)
	reg := prometheus.NewRegistry()
	w := newHook(t, WebhookOptions{URL: ep.url(), Registry: reg})
	for range 5 {
		w.Send(sample)
	}
	<-arrived
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := w.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "5 alerts not delivered") {
		t.Errorf("Close: %v", err)
	}
	select {
	case <-w.done:
	default:
		t.Fatal("delivery goroutine still running after Close")
	}
	w.Send(sample) // after Close: dropped, not queued, no panic
	if st := w.Stats(); st.Sent != 0 || st.Dropped != 6 {
		t.Errorf("stats %+v, want all 6 dropped", st)
	}
	if m := gather(t, reg); m["kguard_alert_webhook_dropped_total,reason=closed"] != 6 {
		t.Errorf("metrics %v", m)
	}
	if n := len(ep.requests()); n != 1 {
		t.Errorf("%d requests reached the server, want the one in flight", n)
	}
}

// TestWebhookNoGoroutineLeak: after Close (and the server's), the
// goroutines started for the webhook are gone.
func TestWebhookNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		defer srv.Close()
		for range 3 {
			w, err := NewWebhook(WebhookOptions{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				w.Send(sample)
			}
			if err := closeAll(t, w); err != nil {
				t.Fatal(err)
			}
			if st := w.Stats(); st.Sent != 10 {
				t.Fatalf("stats %+v", st)
			}
		}
	}()
	// Connection goroutines end asynchronously once closed: poll.
	for i := 0; ; i++ {
		n := runtime.NumGoroutine()
		if n <= before {
			break
		}
		if i == 500 {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWebhookCAFile(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		caFile string
		sent   uint64
	}{{"trusted with the CA file", ca, 1}, {"unknown authority without it", "", 0}} {
		t.Run(c.name, func(t *testing.T) {
			w := newHook(t, WebhookOptions{URL: srv.URL, CAFile: c.caFile, Attempts: 1})
			w.Send(sample)
			err := closeAll(t, w)
			if st := w.Stats(); st.Sent != c.sent {
				t.Errorf("stats %+v, Close: %v", st, err)
			}
		})
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := NewWebhook(WebhookOptions{URL: srv.URL, CAFile: bad}); err == nil || !strings.Contains(err.Error(), "no PEM certificates") {
		t.Errorf("bad CA file: %v", err)
	}
}

func TestNewWebhookErrors(t *testing.T) {
	for _, c := range []struct {
		opts WebhookOptions
		want string
	}{
		{WebhookOptions{URL: "ftp://host" + secretPath}, "want http:// or https://"},
		{WebhookOptions{URL: "https://" + secretPath}, "want http:// or https://"}, // no host
		{WebhookOptions{URL: "http://host\x7f" + secretPath}, "not a valid URL"},
		{WebhookOptions{URL: "https://host", Format: "teams"}, `format "teams"`},
		{WebhookOptions{URL: "https://host", CAFile: filepath.Join(t.TempDir(), "none.pem")}, "CA file"},
	} {
		_, err := NewWebhook(c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%+v: %v, want %q without the path", c.opts, err, c.want)
		}
	}
}

// TestWebhooksShareRegistry: two webhooks on one registry share the
// counters.
func TestWebhooksShareRegistry(t *testing.T) {
	ep := newEndpoint(t, nil)
	reg := prometheus.NewRegistry()
	a := newHook(t, WebhookOptions{URL: ep.url(), Registry: reg})
	b := newHook(t, WebhookOptions{URL: ep.url(), Format: FormatSlack, Registry: reg})
	a.Send(sample)
	b.Send(sample)
	ws := Webhooks{a, b}
	if err := ws.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := gather(t, reg); m["kguard_alert_webhook_sent_total"] != 2 {
		t.Errorf("metrics %v", m)
	}
	if st := ws.Stats(); st.Sent != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestBackoff(t *testing.T) {
	base, limit := 200*time.Millisecond, 10*time.Second
	for _, c := range []struct {
		attempt int
		lo, hi  time.Duration
	}{
		{1, 100 * time.Millisecond, 200 * time.Millisecond},
		{2, 200 * time.Millisecond, 400 * time.Millisecond},
		{4, 800 * time.Millisecond, 1600 * time.Millisecond},
		{7, 5 * time.Second, 10 * time.Second}, // 12.8 s capped
		{80, 5 * time.Second, 10 * time.Second},
	} {
		for range 50 {
			if d := backoff(base, limit, c.attempt); d < c.lo || d > c.hi {
				t.Fatalf("backoff(attempt %d) = %v, want within [%v, %v]", c.attempt, d, c.lo, c.hi)
			}
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"": 0, "3": 3 * time.Second, " 120 ": 2 * time.Minute, "0": 0, "-5": 0, "soon": 0,
		"Mon, 02 Mar 2026 10:00:30 GMT": 30 * time.Second,
		"Mon, 02 Mar 2026 09:00:00 GMT": 0, // in the past
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestHeaderNotInTransportError: when the client itself fails (the
// server hangs up), the error names neither the URL's path nor a header.
func TestHeaderNotInTransportError(t *testing.T) {
	// A server that hangs up: the client's error is wrapped.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			return
		}
		c, _, err := hj.Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	var got error
	w := newHook(t, WebhookOptions{URL: srv.URL + secretPath, Attempts: 1, Header: http.Header{"Authorization": {secretToken}},
		OnError: func(err error) { got = err }})
	w.Send(sample)
	err := closeAll(t, w)
	if got == nil || err == nil {
		t.Fatalf("no error reported: %v, %v", got, err)
	}
	for _, e := range []error{got, err} {
		if strings.Contains(e.Error(), "s3cr3t") {
			t.Errorf("secret in %q", e)
		}
	}
}
