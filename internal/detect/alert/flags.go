package alert

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"
)

// DefaultDrainTimeout is how long a command lets its webhooks deliver
// what they hold when it exits.
const DefaultDrainTimeout = 10 * time.Second

// EnvWebhook names the environment variable that gives a webhook URL when
// no --alert-webhook flag does: a URL carrying a token (Slack's do) stays
// out of the process list, and manifests can take it from a Secret.
const EnvWebhook = "KGUARD_ALERT_WEBHOOK"

// WebhookFlags are the --alert-webhook* flags, shared by every command
// that emits alerts. The zero value is ready for AddFlags.
type WebhookFlags struct {
	URLs    []string
	Format  string
	Headers []string
	CAFile  string
	Queue   int
}

// AddFlags declares the flags on fs.
func (f *WebhookFlags) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.URLs, "alert-webhook", nil, "also POST each alert to this http(s) URL; repeatable (default $"+EnvWebhook+")")
	fs.StringVar(&f.Format, "alert-webhook-format", FormatJSON,
		"webhook body: json (the alert's JSON record) or slack (a Slack incoming-webhook message)")
	fs.StringArrayVar(&f.Headers, "alert-webhook-header", nil,
		"extra webhook request header, 'Name: value' (for example Authorization); repeatable")
	fs.StringVar(&f.CAFile, "alert-webhook-ca-file", "", "PEM CA certificates trusted for https webhooks, besides the system's")
	fs.IntVar(&f.Queue, "alert-queue", DefaultWebhookQueue, "alerts each webhook holds while it is slow or down; more are dropped")
}

// Build checks the flags and starts one Webhook per URL, with counters
// in reg and delivery failures reported to onError (both may be nil).
// Its errors are about the flags' values; they never quote a URL's path
// or a header's value, which may be secrets.
func (f *WebhookFlags) Build(reg prometheus.Registerer, onError func(error)) (Webhooks, error) {
	if f.Format != FormatJSON && f.Format != FormatSlack {
		return nil, fmt.Errorf("--alert-webhook-format %q: want %s or %s", f.Format, FormatJSON, FormatSlack)
	}
	if f.Queue <= 0 {
		return nil, fmt.Errorf("--alert-queue must be 1 or more, not %d", f.Queue)
	}
	h, err := ParseHeaders(f.Headers)
	if err != nil {
		return nil, err
	}
	urls := f.URLs
	if len(urls) == 0 {
		if u := strings.TrimSpace(os.Getenv(EnvWebhook)); u != "" {
			urls = []string{u}
		}
	}
	var ws Webhooks
	for i, u := range urls {
		w, err := NewWebhook(WebhookOptions{URL: u, Format: f.Format, Header: h, CAFile: f.CAFile, Queue: f.Queue,
			Registry: reg, OnError: onError})
		if err != nil {
			ws.Close(context.Background()) // nothing is queued yet
			return nil, fmt.Errorf("--alert-webhook #%d: %w", i+1, err)
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// ParseHeaders reads "Name: value" headers. A malformed one is named by
// its position, so that a misplaced token is not printed.
func ParseHeaders(lines []string) (http.Header, error) {
	h := http.Header{}
	for i, l := range lines {
		name, value, ok := strings.Cut(l, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !validHeaderName(name) {
			return nil, fmt.Errorf("--alert-webhook-header #%d: want 'Name: value' with a header name of letters, digits and -", i+1)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			return nil, fmt.Errorf("--alert-webhook-header #%d (%s): the value holds a line break", i+1, name)
		}
		h.Add(textproto.CanonicalMIMEHeaderKey(name), value)
	}
	return h, nil
}

// validHeaderName reports whether s is an HTTP field name (an RFC 9110
// token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Webhooks are the webhooks built from WebhookFlags.
type Webhooks []*Webhook

// Sinks returns the webhooks as sinks, for Options.Sinks.
func (ws Webhooks) Sinks() []Sink {
	s := make([]Sink, len(ws))
	for i, w := range ws {
		s[i] = w
	}
	return s
}

// Stats returns the webhooks' counts added up.
func (ws Webhooks) Stats() WebhookStats {
	var st WebhookStats
	for _, w := range ws {
		st = st.Add(w.Stats())
	}
	return st
}

// Close closes every webhook (see Webhook.Close); they drain at once.
func (ws Webhooks) Close(ctx context.Context) error {
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() { errs[i] = w.Close(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}
