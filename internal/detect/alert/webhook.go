package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Webhook body formats.
const (
	// FormatJSON posts the Record itself.
	FormatJSON = "json"
	// FormatSlack posts a Slack incoming-webhook message.
	FormatSlack = "slack"
)

// Defaults for zero WebhookOptions fields.
const (
	DefaultWebhookQueue      = 1024
	DefaultWebhookAttempts   = 5
	DefaultWebhookBaseDelay  = 200 * time.Millisecond
	DefaultWebhookMaxDelay   = 10 * time.Second
	DefaultWebhookTimeout    = 10 * time.Second
	DefaultWebhookRetryAfter = 5 * time.Minute
)

// Reasons an alert is dropped (the reason label of
// kguard_alert_webhook_dropped_total).
const (
	// DropQueueFull: the queue was full when the alert was sent.
	DropQueueFull = "queue_full"
	// DropGaveUp: delivery failed for good (attempts used up, or a
	// response that retrying cannot change).
	DropGaveUp = "gave_up"
	// DropClosed: the webhook was closed before the alert was delivered.
	DropClosed = "closed"
)

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	// URL is the http or https endpoint; required.
	URL string
	// Format is FormatJSON (the default) or FormatSlack.
	Format string
	// Header holds extra request headers, such as Authorization. Their
	// values are sent and never written into errors or logs.
	Header http.Header
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// Queue is how many alerts wait for delivery; more are dropped.
	Queue int
	// Attempts is the most POSTs per alert, the first included.
	Attempts int
	// BaseDelay and MaxDelay bound the exponential backoff between
	// attempts (with jitter).
	BaseDelay, MaxDelay time.Duration
	// MaxRetryAfter caps how long a Retry-After header (on 429 and 503
	// responses) can make delivery wait.
	MaxRetryAfter time.Duration
	// Timeout bounds one request.
	Timeout time.Duration
	// Registry, when set, gets the webhook counters (shared by webhooks
	// registered with the same registry).
	Registry prometheus.Registerer
	// OnError, when set, is called (from the delivery goroutine) with the
	// error of each alert given up.
	OnError func(error)
	// Client replaces the HTTP client (CAFile is then not used).
	Client *http.Client
	// Sleep waits between attempts; it returns early with ctx's error.
	// Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// WebhookStats count a Webhook's alerts.
type WebhookStats struct {
	Sent    uint64 // delivered
	Dropped uint64 // not delivered, for any reason
	Retries uint64 // attempts after the first
}

// Add returns the sum of two stats.
func (s WebhookStats) Add(o WebhookStats) WebhookStats {
	return WebhookStats{Sent: s.Sent + o.Sent, Dropped: s.Dropped + o.Dropped, Retries: s.Retries + o.Retries}
}

// Webhook is a Sink that POSTs each alert to a URL. Send only queues;
// one goroutine delivers, retrying failures with exponential backoff.
type Webhook struct {
	opts   WebhookOptions
	name   string // scheme and host only: paths of chat webhooks are secrets
	client *http.Client
	ownTr  *http.Transport // closed with the webhook

	queue   chan Record
	closing chan struct{} // closed by Close: deliver what is queued, then stop
	done    chan struct{} // closed when the delivery goroutine ends
	abort   context.Context
	cancel  context.CancelFunc

	mu     sync.RWMutex // guards closed against concurrent Sends
	closed bool

	sent, retries, dropped atomic.Uint64
	lastErr                atomic.Pointer[error]
	mSent                  prometheus.Counter
	mRetries               prometheus.Counter
	mDropped               *prometheus.CounterVec
}

// NewWebhook checks opts and starts the delivery goroutine; Close stops
// it.
func NewWebhook(opts WebhookOptions) (*Webhook, error) {
	u, err := url.Parse(opts.URL)
	if err != nil {
		// The parse error quotes the URL, which may hold a token.
		return nil, errors.New("webhook URL: not a valid URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("webhook URL: want http:// or https:// and a host")
	}
	switch opts.Format {
	case "":
		opts.Format = FormatJSON
	case FormatJSON, FormatSlack:
	default:
		return nil, fmt.Errorf("webhook format %q: want %s or %s", opts.Format, FormatJSON, FormatSlack)
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultWebhookQueue
	}
	if opts.Attempts <= 0 {
		opts.Attempts = DefaultWebhookAttempts
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = DefaultWebhookBaseDelay
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = DefaultWebhookMaxDelay
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = DefaultWebhookRetryAfter
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultWebhookTimeout
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	opts.Header = opts.Header.Clone()
	w := &Webhook{opts: opts, name: "webhook " + u.Scheme + "://" + u.Host, client: opts.Client,
		queue: make(chan Record, opts.Queue), closing: make(chan struct{}), done: make(chan struct{})}
	if w.client == nil {
		tr, err := transport(opts.CAFile)
		if err != nil {
			return nil, err
		}
		w.client, w.ownTr = &http.Client{Transport: tr}, tr
	}
	if err := w.register(opts.Registry); err != nil {
		return nil, err
	}
	w.abort, w.cancel = context.WithCancel(context.Background())
	go w.run()
	return w, nil
}

func (w *Webhook) register(reg prometheus.Registerer) error {
	sent := prometheus.NewCounter(prometheus.CounterOpts{Name: "kguard_alert_webhook_sent_total",
		Help: "Alerts delivered to webhooks."})
	retries := prometheus.NewCounter(prometheus.CounterOpts{Name: "kguard_alert_webhook_retries_total",
		Help: "Webhook deliveries retried."})
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kguard_alert_webhook_dropped_total",
		Help: "Alerts not delivered to a webhook, by reason (queue_full, gave_up, closed)."}, []string{"reason"})
	var err error
	if w.mSent, err = register(reg, prometheus.Counter(sent)); err != nil {
		return err
	}
	if w.mRetries, err = register(reg, prometheus.Counter(retries)); err != nil {
		return err
	}
	if w.mDropped, err = register(reg, dropped); err != nil {
		return err
	}
	return nil
}

// transport is the default transport trusting the system roots and, when
// set, the certificates of caFile.
func transport(caFile string) (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return tr, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("webhook CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("webhook CA file %s: no PEM certificates", caFile)
	}
	tr.TLSClientConfig.RootCAs = pool
	return tr, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Send queues r for delivery without blocking: when the queue is full,
// or the webhook closed, r is dropped and counted.
func (w *Webhook) Send(r Record) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.drop(DropClosed)
		return
	}
	select {
	case w.queue <- r:
	default:
		w.drop(DropQueueFull)
	}
}

// Close stops accepting alerts and delivers those queued until ctx ends;
// what is left then is dropped (reason closed). It returns an error when
// any alert was dropped, with the last delivery error.
func (w *Webhook) Close(ctx context.Context) error {
	w.mu.Lock()
	first := !w.closed
	w.closed = true
	w.mu.Unlock()
	if first {
		close(w.closing)
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		w.cancel() // ends the request or wait in progress
		<-w.done
	}
	w.cancel()
	if w.ownTr != nil {
		w.ownTr.CloseIdleConnections()
	}
	n := w.dropped.Load()
	if n == 0 {
		return nil
	}
	if p := w.lastErr.Load(); p != nil {
		return fmt.Errorf("%s: %d alerts not delivered (last error: %w)", w.name, n, *p)
	}
	return fmt.Errorf("%s: %d alerts not delivered", w.name, n)
}

// Stats returns the counts so far.
func (w *Webhook) Stats() WebhookStats {
	return WebhookStats{Sent: w.sent.Load(), Dropped: w.dropped.Load(), Retries: w.retries.Load()}
}

// String names the webhook by scheme and host.
func (w *Webhook) String() string { return w.name }

func (w *Webhook) drop(reason string) {
	w.dropped.Add(1)
	w.mDropped.WithLabelValues(reason).Inc()
}

func (w *Webhook) run() {
	defer close(w.done)
	for {
		select {
		case r := <-w.queue:
			w.deliver(r)
		case <-w.closing:
			for {
				select {
				case r := <-w.queue:
					w.deliver(r)
				default:
					return // Send no longer queues: the queue stays empty
				}
			}
		}
	}
}

// deliver posts one alert, retrying as needed, and counts the outcome.
func (w *Webhook) deliver(r Record) {
	if w.abort.Err() != nil {
		w.drop(DropClosed)
		return
	}
	body, err := w.body(r)
	if err != nil {
		w.giveUp(err)
		return
	}
	for attempt := 1; ; attempt++ {
		retry, wait, err := w.post(body)
		if err == nil {
			w.sent.Add(1)
			w.mSent.Inc()
			return
		}
		if w.abort.Err() != nil {
			w.lastErr.Store(&err)
			w.drop(DropClosed)
			return
		}
		if !retry || attempt >= w.opts.Attempts {
			w.giveUp(fmt.Errorf("%w (attempt %d of %d)", err, attempt, w.opts.Attempts))
			return
		}
		d := backoff(w.opts.BaseDelay, w.opts.MaxDelay, attempt)
		if wait > 0 {
			d = min(wait, w.opts.MaxRetryAfter)
		}
		w.retries.Add(1)
		w.mRetries.Inc()
		if w.opts.Sleep(w.abort, d) != nil {
			w.lastErr.Store(&err)
			w.drop(DropClosed)
			return
		}
	}
}

func (w *Webhook) giveUp(err error) {
	w.lastErr.Store(&err)
	w.drop(DropGaveUp)
	if w.opts.OnError != nil {
		w.opts.OnError(err)
	}
}

// backoff is the wait before attempt+1: BaseDelay doubled per attempt,
// capped at limit, then drawn from its upper half so that senders that
// failed together do not retry together.
func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := limit
	if attempt-1 < 32 {
		if e := base << (attempt - 1); e > 0 && e < limit {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// post makes one attempt. It reports whether a failure is worth
// retrying, and the wait a Retry-After header asked for.
func (w *Webhook) post(body []byte) (retry bool, wait time.Duration, err error) {
	ctx, cancel := context.WithTimeout(w.abort, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.opts.URL, bytes.NewReader(body))
	if err != nil {
		return false, 0, fmt.Errorf("%s: cannot build the request", w.name)
	}
	for k, vs := range w.opts.Header {
		req.Header[k] = vs
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "kguard")
	}
	resp, err := w.client.Do(req)
	if err != nil {
		// url.Error repeats the URL; keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, 0, fmt.Errorf("%s: %w", w.name, err)
	}
	// Read a little of the body so the connection can be reused; it is
	// not quoted in errors (a server may echo the request's headers).
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	code := resp.StatusCode
	err = fmt.Errorf("%s: %s", w.name, resp.Status)
	switch {
	case code >= 200 && code < 300:
		return false, 0, nil
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return true, retryAfter(resp.Header.Get("Retry-After"), time.Now()), err
	case code == http.StatusRequestTimeout || code >= 500:
		return true, 0, err
	}
	return false, 0, err
}

// retryAfter reads a Retry-After value, seconds or an HTTP date, as a
// wait from now; 0 when absent or invalid.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, 1<<20)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func (w *Webhook) body(r Record) ([]byte, error) {
	var v any = r
	if w.opts.Format == FormatSlack {
		v = slackMessage(r)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("%s: encode alert: %w", w.name, err)
	}
	return b.Bytes(), nil
}
