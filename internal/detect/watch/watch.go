// Package watch runs the detection rules of package detect over a
// Kubernetes API server audit log (the log backend's JSON lines) and
// emits alerts through package alert: JSON lines with ECS field names
// (the fields are listed there), and any other sinks such as webhooks.
//
// A Watcher reads the log once (Follow false: from the start to end of
// file) or follows it like tail -F (polling; rotation by rename or
// truncation is handled, and the rest of a rotated file is read before
// the new one). Lines longer than MaxLineBytes and lines that are not
// audit events are skipped and counted. Events from elsewhere (the API
// server's webhook backend) go to HandleEvent, which is safe to call from
// several goroutines, also while Run reads the log.
//
// Alerts are rate limited per (rule, user): at most RatePerMinute in a
// minute of event time; the rest are counted as suppressed and the number
// is reported on the next alert of that key (kguard.suppressed).
//
// The rule k8s-forbidden-request only marks candidates: its alerts are
// not written. Instead every 403 response counts towards a burst; when a
// user collects BurstThreshold of them within BurstWindow, one
// k8s-forbidden-burst alert (medium, T1613) is written, with the number
// counted in kguard.count, and the count starts again.
//
// A rule fires once per audit ID: a request logged at several stages
// (RequestReceived, ResponseComplete) does not alert twice.
//
// # Metrics
//
// Besides the counters of package alert (kguard_alerts_total,
// kguard_alerts_suppressed_total and, with webhooks,
// kguard_alert_webhook_*), a Watcher counts kguard_watch_events_total and
// kguard_watch_lines_skipped_total{reason}.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/detect/alert"
	"github.com/kguard/kguard/internal/finding"
)

// Rule IDs the watcher treats specially.
const (
	// ForbiddenCandidateRule is the default rule marking single 403s.
	ForbiddenCandidateRule = "k8s-forbidden-request"
	// ForbiddenBurstRule is the alert for a burst of 403s from one user.
	ForbiddenBurstRule = "k8s-forbidden-burst"
)

// Defaults for zero Options fields.
const (
	DefaultRatePerMinute  = alert.DefaultRatePerMinute
	DefaultMaxLineBytes   = 1 << 20
	DefaultPollInterval   = 250 * time.Millisecond
	DefaultBurstThreshold = 20
	DefaultBurstWindow    = 60 * time.Second
)

// Options configure a Watcher.
type Options struct {
	// Path is the audit log file, which Run reads. A Watcher fed only
	// through HandleEvent (the webhook backend) needs none.
	Path string
	// Follow keeps reading as the file grows and is rotated, until the
	// context passed to Run ends. Without it Run stops at end of file.
	Follow bool
	// FromEnd starts a followed file at its end (new events only).
	FromEnd bool
	// Rules are evaluated on every event; required.
	Rules *detect.RuleSet
	// Out receives alerts, one JSON object a line. Out or Sinks is
	// required.
	Out io.Writer
	// Sinks receive alerts too (after Out); Close closes them.
	Sinks []alert.Sink
	// Registry gets the metrics; nil means a new registry. Pass one to
	// share it with the sinks' counters.
	Registry *prometheus.Registry
	// RatePerMinute is the most alerts written per (rule, user) in a
	// minute; 0 means DefaultRatePerMinute and a negative value no limit.
	RatePerMinute int
	// MaxLineBytes bounds a line; longer ones are skipped.
	MaxLineBytes int
	// PollInterval is how often a followed file is checked.
	PollInterval time.Duration
	// BurstThreshold 403s from one user within BurstWindow make a
	// k8s-forbidden-burst alert.
	BurstThreshold int
	BurstWindow    time.Duration
	// Now is the clock for events without a timestamp (time.Now).
	Now func() time.Time
}

// Stats count what a Watcher has done.
type Stats struct {
	Events     uint64 // audit events evaluated
	Skipped    uint64 // lines skipped (too long or not an audit event)
	Alerts     uint64 // alerts emitted
	Suppressed uint64 // alerts dropped by the rate limit
}

// Watcher evaluates rules over an audit log.
type Watcher struct {
	opts    Options
	reg     *prometheus.Registry
	emitter *alert.Emitter
	out     *alert.JSONLines // nil without Options.Out

	events  prometheus.Counter
	skipped *prometheus.CounterVec
	nEvents atomic.Uint64
	nSkip   atomic.Uint64

	// mu guards the audit-specific state below, which HandleEvent
	// updates from any goroutine.
	mu      sync.Mutex
	burst   map[string][]time.Time
	pruneAt int
	// seen holds recent (rule, audit ID) pairs so that a request logged
	// at several stages alerts once; ring is their insertion order.
	seen map[seenKey]bool
	ring []seenKey
	next int

	ready     chan struct{}
	readyOnce sync.Once
}

type seenKey struct{ rule, auditID string }

// burstPruneFloor is the number of users with pending 403s below which
// stale ones are not looked for.
const burstPruneFloor = 4096

// Ready is closed once the log is open (with FromEnd, positioned at its
// end): lines appended after that are read.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// New checks opts and returns a Watcher.
func New(opts Options) (*Watcher, error) {
	if opts.Rules == nil {
		return nil, errors.New("watch: no rules")
	}
	if opts.Out == nil && len(opts.Sinks) == 0 {
		return nil, errors.New("watch: no output")
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.BurstThreshold <= 0 {
		opts.BurstThreshold = DefaultBurstThreshold
	}
	if opts.BurstWindow <= 0 {
		opts.BurstWindow = DefaultBurstWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := &Watcher{opts: opts, reg: opts.Registry, ready: make(chan struct{}),
		burst: map[string][]time.Time{}, pruneAt: burstPruneFloor,
		seen: map[seenKey]bool{}, ring: make([]seenKey, 8192)}
	if w.reg == nil {
		w.reg = prometheus.NewRegistry()
	}
	var sinks []alert.Sink
	if opts.Out != nil {
		w.out = alert.NewJSONLines(opts.Out)
		sinks = append(sinks, w.out)
	}
	sinks = append(sinks, opts.Sinks...)
	desc := alert.Descriptions(opts.Rules)
	desc[ForbiddenBurstRule] = fmt.Sprintf("One user received %d or more forbidden (403) responses within %s: permission probing.",
		opts.BurstThreshold, opts.BurstWindow)
	var err error
	w.emitter, err = alert.New(alert.Options{RatePerMinute: opts.RatePerMinute, Sinks: sinks, Descriptions: desc,
		Registry: w.reg, Now: opts.Now})
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	w.events = prometheus.NewCounter(prometheus.CounterOpts{Name: "kguard_watch_events_total",
		Help: "Audit events read and evaluated."})
	w.skipped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kguard_watch_lines_skipped_total",
		Help: "Lines skipped, by reason (too_long, unparsable)."}, []string{"reason"})
	for _, c := range []prometheus.Collector{w.events, w.skipped} {
		if err := w.reg.Register(c); err != nil {
			return nil, fmt.Errorf("watch: register metrics: %w", err)
		}
	}
	return w, nil
}

// Registry holds the Watcher's Prometheus metrics.
func (w *Watcher) Registry() *prometheus.Registry { return w.reg }

// Stats returns the counts so far.
func (w *Watcher) Stats() Stats {
	es := w.emitter.Stats()
	return Stats{Events: w.nEvents.Load(), Skipped: w.nSkip.Load(), Alerts: es.Alerts, Suppressed: es.Suppressed}
}

// Run reads the log until end of file (without Follow) or until ctx ends,
// and returns an error if the file cannot be opened or read or an alert
// cannot be written to Out. It does not close the sinks: see Close.
func (w *Watcher) Run(ctx context.Context) error {
	if w.opts.Path == "" {
		return errors.New("watch: no audit log path")
	}
	t := &tailer{path: w.opts.Path, follow: w.opts.Follow, fromEnd: w.opts.FromEnd, poll: w.opts.PollInterval,
		max: w.opts.MaxLineBytes, line: w.handleLine, skip: w.skip,
		opened: func() { w.readyOnce.Do(func() { close(w.ready) }) }}
	if err := t.run(ctx); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if w.out != nil {
		return w.out.Err()
	}
	return nil
}

// Close closes the sinks, letting them deliver what they hold until ctx
// ends, and returns their errors. Call it once no more events come.
func (w *Watcher) Close(ctx context.Context) error { return w.emitter.Close(ctx) }

func (w *Watcher) skip(r skipReason) {
	w.skipped.WithLabelValues(string(r)).Inc()
	w.nSkip.Add(1)
}

func (w *Watcher) handleLine(line []byte) {
	ev, err := detect.ParseAuditEvent(line)
	if err != nil {
		w.skip(skipUnparsable)
		return
	}
	w.HandleEvent(ev)
}

// HandleEvent evaluates one event and emits its alerts. Run calls it for
// every line; other event sources may call it too, from any goroutine.
func (w *Watcher) HandleEvent(ev detect.Event) {
	if ev.Time.IsZero() {
		ev.Time = w.opts.Now()
	}
	w.events.Inc()
	w.nEvents.Add(1)
	for _, a := range w.opts.Rules.Evaluate(ev) {
		if a.Rule == ForbiddenCandidateRule {
			continue // counted below
		}
		if w.duplicate(ev, a.Rule) {
			continue
		}
		w.emitter.Emit(a, alert.Extra{})
	}
	if a := ev.K8sAudit; a != nil && a.ResponseStatus != nil && a.ResponseStatus.Code == 403 {
		if n := w.countForbidden(a.User.Username, ev.Time); n > 0 {
			w.emitter.Emit(burstAlert(ev, n, w.opts.BurstWindow), alert.Extra{Count: n})
		}
	}
}

// duplicate reports whether rule already fired for the request (another
// stage of the same audit ID), and remembers it.
func (w *Watcher) duplicate(ev detect.Event, rule string) bool {
	if ev.K8sAudit == nil || ev.K8sAudit.AuditID == "" {
		return false
	}
	k := seenKey{rule, ev.K8sAudit.AuditID}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[k] {
		return true
	}
	delete(w.seen, w.ring[w.next])
	w.ring[w.next] = k
	w.next = (w.next + 1) % len(w.ring)
	w.seen[k] = true
	return false
}

// countForbidden records a 403 for user at t and returns the number in
// the window when it reaches the threshold (the count then restarts).
func (w *Watcher) countForbidden(user string, t time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	ts := w.burst[user]
	cut := t.Add(-w.opts.BurstWindow)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = append(ts[i:], t)
	if len(ts) >= w.opts.BurstThreshold {
		delete(w.burst, user)
		return len(ts)
	}
	w.burst[user] = ts
	if len(w.burst) > w.pruneAt {
		w.pruneBursts(t)
	}
	return 0
}

// pruneBursts forgets users whose last 403 is out of the window; the
// next prune waits until the map has doubled.
func (w *Watcher) pruneBursts(now time.Time) {
	cut := now.Add(-w.opts.BurstWindow)
	for u, ts := range w.burst {
		if !ts[len(ts)-1].After(cut) {
			delete(w.burst, u)
		}
	}
	w.pruneAt = max(burstPruneFloor, 2*len(w.burst))
}

func burstAlert(ev detect.Event, n int, win time.Duration) detect.Alert {
	a := ev.K8sAudit
	user := a.User.Username
	what := a.Verb
	if a.ObjectRef != nil {
		what += " " + alert.ResourceType(a.ObjectRef)
		if a.ObjectRef.Namespace != "" {
			what += " in " + a.ObjectRef.Namespace
		}
	} else if a.RequestURI != "" {
		what += " " + a.RequestURI
	}
	return detect.Alert{
		Rule: ForbiddenBurstRule, Severity: finding.SeverityMedium,
		Output: fmt.Sprintf("%s received %d forbidden responses within %s (last: %s)", user, n, win, what),
		Tags:   []string{"k8s", "mitre_discovery", "T1613"},
		Time:   ev.Time, Source: detect.SourceK8sAudit, Event: ev,
	}
}
