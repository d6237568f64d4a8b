package watch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/tlsserve"
)

// WebhookPath is where `kguard audit watch --listen` serves the audit
// webhook backend; the API server's webhook kubeconfig names it.
const WebhookPath = "/audit"

// DefaultWebhookMaxBodyBytes bounds a webhook request body. The API
// server's batches hold at most 400 events by default
// (--audit-webhook-batch-max-size), well below this even at level Request.
const DefaultWebhookMaxBodyBytes = 16 << 20

// Reasons a webhook request is rejected, the label of
// kguard_watch_webhook_rejected_total.
const (
	rejectMethod     = "method"      // not POST: 405
	rejectClientCert = "client_cert" // no verified client certificate: 401
	rejectTooLarge   = "too_large"   // body over the limit: 413
	rejectRead       = "read_error"  // body could not be read: 400
	rejectBadJSON    = "bad_json"    // body is not JSON: 400
	rejectNotAudit   = "not_audit"   // JSON, but no EventList or Event: 400
)

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	// MaxBodyBytes bounds a request body (DefaultWebhookMaxBodyBytes when
	// 0); a larger one is refused with 413.
	MaxBodyBytes int64
	// RequireClientCert refuses (401) requests without a client
	// certificate verified by the server's TLS configuration (see
	// tlsserve.ServerConfig). The check is made here and not in the TLS
	// handshake so that probes without a certificate reach /healthz.
	RequireClientCert bool
}

// Webhook is the API server's audit webhook backend
// (--audit-webhook-config-file): an http.Handler that takes POSTs of an
// audit.k8s.io/v1 EventList (batch and blocking modes both send lists)
// or of a single Event, and gives each event to the Watcher's
// HandleEvent.
//
// Items are decoded by detect.ParseAuditEvent, as log lines are, so
// response bodies are never kept. Items that are not audit events are
// skipped and counted; a body that is not JSON, or not an EventList or
// Event, is refused with 400 and a short reason that never quotes the
// body. Bodies over MaxBodyBytes get 413, methods other than POST 405.
//
// The events are evaluated before the response, which is 200 with an
// empty body: evaluation is in memory and fast, and an API server whose
// request fails or times out keeps and retries the batch, so nothing is
// accepted that was not evaluated.
type Webhook struct {
	w    *Watcher
	opts WebhookOptions

	events   prometheus.Counter
	batches  prometheus.Counter
	skipped  prometheus.Counter
	rejected *prometheus.CounterVec
}

// NewWebhook returns the webhook backend feeding w, with its counters in
// w's registry. Make one per Watcher.
func NewWebhook(w *Watcher, opts WebhookOptions) (*Webhook, error) {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultWebhookMaxBodyBytes
	}
	h := &Webhook{
		w: w, opts: opts,
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: "kguard_watch_webhook_events_total",
			Help: "Audit events received from the API server's webhook backend."}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{Name: "kguard_watch_webhook_batches_total",
			Help: "Webhook requests accepted (an EventList or a single Event)."}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{Name: "kguard_watch_webhook_items_skipped_total",
			Help: "Items of accepted EventLists that were not audit events."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kguard_watch_webhook_rejected_total",
			Help: "Webhook requests refused, by reason (method, client_cert, too_large, read_error, bad_json, not_audit)."},
			[]string{"reason"}),
	}
	for _, c := range []prometheus.Collector{h.events, h.batches, h.skipped, h.rejected} {
		if err := w.Registry().Register(c); err != nil {
			return nil, fmt.Errorf("webhook: register metrics: %w", err)
		}
	}
	return h, nil
}

func (h *Webhook) reject(rw http.ResponseWriter, code int, reason, msg string) {
	h.rejected.WithLabelValues(reason).Inc()
	http.Error(rw, msg, code)
}

// ServeHTTP handles one delivery from the API server.
func (h *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		h.reject(rw, http.StatusMethodNotAllowed, rejectMethod, "only POST is accepted")
		return
	}
	if h.opts.RequireClientCert && !tlsserve.HasVerifiedClientCert(r) {
		h.reject(rw, http.StatusUnauthorized, rejectClientCert, "a client certificate is required")
		return
	}
	tooLarge := fmt.Sprintf("request body over %d bytes", h.opts.MaxBodyBytes)
	if r.ContentLength > h.opts.MaxBodyBytes {
		h.reject(rw, http.StatusRequestEntityTooLarge, rejectTooLarge, tooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.reject(rw, http.StatusRequestEntityTooLarge, rejectTooLarge, tooLarge)
			return
		}
		h.reject(rw, http.StatusBadRequest, rejectRead, "could not read the request body")
		return
	}
	evs, skipped, reason := decodeDelivery(body)
	switch reason {
	case "":
	case rejectBadJSON:
		h.reject(rw, http.StatusBadRequest, reason, "request body is not valid JSON")
		return
	default:
		h.reject(rw, http.StatusBadRequest, reason, "request body is not an audit.k8s.io/v1 EventList or Event")
		return
	}
	h.batches.Inc()
	h.skipped.Add(float64(skipped))
	h.events.Add(float64(len(evs)))
	for _, ev := range evs {
		h.w.HandleEvent(ev)
	}
	rw.WriteHeader(http.StatusOK)
}

// delivery is the envelope of a webhook body: an EventList's items, or
// an Event's kind alone.
type delivery struct {
	Kind       string            `json:"kind"`
	APIVersion string            `json:"apiVersion"`
	Items      []json.RawMessage `json:"items"`
}

// decodeDelivery returns the events of a body, how many list items were
// not audit events, and a rejection reason ("" when accepted).
func decodeDelivery(body []byte) ([]detect.Event, int, string) {
	var d delivery
	if err := json.Unmarshal(body, &d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, 0, rejectNotAudit // JSON of another shape
		}
		return nil, 0, rejectBadJSON
	}
	if !strings.HasPrefix(d.APIVersion, "audit.k8s.io/") {
		return nil, 0, rejectNotAudit
	}
	switch d.Kind {
	case "Event":
		ev, err := detect.ParseAuditEvent(body)
		if err != nil {
			return nil, 0, rejectNotAudit
		}
		return []detect.Event{ev}, 0, ""
	case "EventList":
		evs := make([]detect.Event, 0, len(d.Items))
		skipped := 0
		for i, raw := range d.Items {
			ev, err := detect.ParseAuditEvent(raw)
			d.Items[i] = nil
			if err != nil {
				skipped++
				continue
			}
			evs = append(evs, ev)
		}
		return evs, skipped, ""
	}
	return nil, 0, rejectNotAudit
}
