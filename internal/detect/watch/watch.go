// Package watch runs the detection rules of package detect over a
// Kubernetes API server audit log (the log backend's JSON lines) and
// writes alerts as JSON lines with ECS field names.
//
// A Watcher reads the log once (Follow false: from the start to end of
// file) or follows it like tail -F (polling; rotation by rename or
// truncation is handled, and the rest of a rotated file is read before
// the new one). Lines longer than MaxLineBytes and lines that are not
// audit events are skipped and counted.
//
// Alerts are rate limited per (rule, user): at most RatePerMinute in a
// minute of event time; the rest are counted as suppressed and the number
// is reported on the next alert of that key (kguard.suppressed).
//
// The rule k8s-forbidden-request only marks candidates: its alerts are
// not written. Instead every 403 response counts towards a burst; when a
// user collects BurstThreshold of them within BurstWindow, one
// k8s-forbidden-burst alert (medium, T1613) is written and the count
// starts again.
//
// # Output fields
//
// Each alert is one JSON object with these flat (dotted) keys; empty
// values are left out:
//
//	@timestamp                  event time, RFC 3339
//	event.kind                  "alert"
//	event.module                "kguard"
//	event.dataset               "kubernetes.audit"
//	event.severity              info 1, low 21, medium 47, high 73, critical 99
//	event.action                the request verb
//	event.id                    the audit ID
//	log.level                   the severity name
//	rule.id, rule.name          the rule ID
//	rule.description            the rule's description
//	message                     the rule's rendered output
//	tags                        the rule's tags
//	threat.framework            "MITRE ATT&CK" when there are techniques
//	threat.technique.id         MITRE technique IDs among the tags
//	user.name                   the authenticated user
//	user.effective.name         the impersonated user
//	source.ip                   the first source IP
//	user_agent.original         the client's user agent
//	url.original                the request URI
//	http.response.status_code   the response code
//	kubernetes.namespace        the object's namespace
//	orchestrator.type           "kubernetes"
//	orchestrator.resource.type  resource, or resource/subresource
//	orchestrator.resource.name  the object's name
//	kguard.suppressed           alerts of this rule and user suppressed
//	                            by the rate limit since the last one
//	kguard.count                for k8s-forbidden-burst: 403s counted
//
// A rule fires once per audit ID: a request logged at several stages
// (RequestReceived, ResponseComplete) does not alert twice.
package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/rules"
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
	DefaultRatePerMinute  = 10
	DefaultMaxLineBytes   = 1 << 20
	DefaultPollInterval   = 250 * time.Millisecond
	DefaultBurstThreshold = 20
	DefaultBurstWindow    = 60 * time.Second
)

// Options configure a Watcher.
type Options struct {
	// Path is the audit log file.
	Path string
	// Follow keeps reading as the file grows and is rotated, until the
	// context passed to Run ends. Without it Run stops at end of file.
	Follow bool
	// FromEnd starts a followed file at its end (new events only).
	FromEnd bool
	// Rules are evaluated on every event; required.
	Rules *detect.RuleSet
	// Out receives alerts, one JSON object a line; required.
	Out io.Writer
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
	Alerts     uint64 // alerts written
	Suppressed uint64 // alerts dropped by the rate limit
}

// Watcher evaluates rules over an audit log.
type Watcher struct {
	opts  Options
	desc  map[string]string
	reg   *prometheus.Registry
	m     metrics
	enc   *json.Encoder
	limit map[limitKey]*window
	burst map[string][]time.Time
	// seen holds recent (audit ID, rule) pairs so that a request logged
	// at several stages alerts once; ring is their insertion order.
	seen map[limitKey]bool
	ring []limitKey
	next int

	mu    sync.Mutex
	stats Stats
	err   error // first write error

	ready     chan struct{}
	readyOnce sync.Once
}

// Ready is closed once the log is open (with FromEnd, positioned at its
// end): lines appended after that are read.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

type metrics struct {
	alerts     *prometheus.CounterVec
	events     prometheus.Counter
	skipped    *prometheus.CounterVec
	suppressed *prometheus.CounterVec
}

type limitKey struct{ rule, subject string }

type window struct {
	start      time.Time
	n          int
	suppressed int
}

// New checks opts and returns a Watcher with its own metrics registry.
func New(opts Options) (*Watcher, error) {
	if opts.Rules == nil {
		return nil, errors.New("watch: no rules")
	}
	if opts.Out == nil {
		return nil, errors.New("watch: no output")
	}
	if opts.Path == "" {
		return nil, errors.New("watch: no audit log path")
	}
	if opts.RatePerMinute == 0 {
		opts.RatePerMinute = DefaultRatePerMinute
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
	w := &Watcher{opts: opts, ready: make(chan struct{}), desc: map[string]string{}, reg: prometheus.NewRegistry(), enc: json.NewEncoder(opts.Out),
		limit: map[limitKey]*window{}, burst: map[string][]time.Time{},
		seen: map[limitKey]bool{}, ring: make([]limitKey, 8192)}
	w.enc.SetEscapeHTML(false)
	for _, r := range opts.Rules.Rules() {
		w.desc[r.ID] = r.Desc
	}
	w.desc[ForbiddenBurstRule] = fmt.Sprintf("One user received %d or more forbidden (403) responses within %s: permission probing.",
		opts.BurstThreshold, opts.BurstWindow)
	w.m = metrics{
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kguard_watch_alerts_total",
			Help: "Alerts written, by rule and severity."}, []string{"rule", "severity"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{Name: "kguard_watch_events_total",
			Help: "Audit events read and evaluated."}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kguard_watch_lines_skipped_total",
			Help: "Lines skipped, by reason (too_long, unparsable)."}, []string{"reason"}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kguard_watch_alerts_suppressed_total",
			Help: "Alerts dropped by the per rule and user rate limit, by rule."}, []string{"rule"}),
	}
	w.reg.MustRegister(w.m.alerts, w.m.events, w.m.skipped, w.m.suppressed)
	return w, nil
}

// Registry holds the Watcher's Prometheus metrics.
func (w *Watcher) Registry() *prometheus.Registry { return w.reg }

// Stats returns the counts so far.
func (w *Watcher) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Run reads the log until end of file (without Follow) or until ctx ends,
// and returns an error if the file cannot be opened or read or an alert
// cannot be written.
func (w *Watcher) Run(ctx context.Context) error {
	t := &tailer{path: w.opts.Path, follow: w.opts.Follow, fromEnd: w.opts.FromEnd, poll: w.opts.PollInterval,
		max: w.opts.MaxLineBytes, line: w.handleLine, skip: w.skip,
		opened: func() { w.readyOnce.Do(func() { close(w.ready) }) }}
	if err := t.run(ctx); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Watcher) skip(r skipReason) {
	w.m.skipped.WithLabelValues(string(r)).Inc()
	w.mu.Lock()
	w.stats.Skipped++
	w.mu.Unlock()
}

func (w *Watcher) handleLine(line []byte) {
	ev, err := detect.ParseAuditEvent(line)
	if err != nil {
		w.skip(skipUnparsable)
		return
	}
	w.HandleEvent(ev)
}

// HandleEvent evaluates one event and writes its alerts. Run calls it for
// every line; it is exported for other event sources (not safe for
// concurrent use with Run).
func (w *Watcher) HandleEvent(ev detect.Event) {
	if ev.Time.IsZero() {
		ev.Time = w.opts.Now()
	}
	w.m.events.Inc()
	w.mu.Lock()
	w.stats.Events++
	w.mu.Unlock()
	for _, a := range w.opts.Rules.Evaluate(ev) {
		if a.Rule == ForbiddenCandidateRule {
			continue // counted below
		}
		if w.duplicate(ev, a.Rule) {
			continue
		}
		w.emit(a, 0)
	}
	if a := ev.K8sAudit; a != nil && a.ResponseStatus != nil && a.ResponseStatus.Code == 403 {
		if n := w.countForbidden(a.User.Username, ev.Time); n > 0 {
			w.emit(burstAlert(ev, n, w.opts.BurstWindow), n)
		}
	}
	if len(w.limit) > 4096 || len(w.burst) > 4096 {
		w.prune(ev.Time)
	}
}

// duplicate reports whether rule already fired for the request (another
// stage of the same audit ID), and remembers it.
func (w *Watcher) duplicate(ev detect.Event, rule string) bool {
	if ev.K8sAudit == nil || ev.K8sAudit.AuditID == "" {
		return false
	}
	k := limitKey{rule, ev.K8sAudit.AuditID}
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
	return 0
}

func burstAlert(ev detect.Event, n int, win time.Duration) detect.Alert {
	a := ev.K8sAudit
	user := a.User.Username
	what := a.Verb
	if a.ObjectRef != nil {
		what += " " + resourceType(a.ObjectRef)
		if a.ObjectRef.Namespace != "" {
			what += " in " + a.ObjectRef.Namespace
		}
	} else if a.RequestURI != "" {
		what += " " + a.RequestURI
	}
	return detect.Alert{
		Rule: ForbiddenBurstRule, Severity: rules.SeverityMedium,
		Output: fmt.Sprintf("%s received %d forbidden responses within %s (last: %s)", user, n, win, what),
		Tags:   []string{"k8s", "mitre_discovery", "T1613"},
		Time:   ev.Time, Source: detect.SourceK8sAudit, Event: ev,
	}
}

func (w *Watcher) prune(now time.Time) {
	for k, win := range w.limit {
		if now.Sub(win.start) >= time.Minute {
			delete(w.limit, k)
		}
	}
	cut := now.Add(-w.opts.BurstWindow)
	for u, ts := range w.burst {
		if !ts[len(ts)-1].After(cut) {
			delete(w.burst, u)
		}
	}
}

// allow applies the rate limit; it returns whether to write the alert and
// how many of its key were suppressed before it.
func (w *Watcher) allow(a detect.Alert) (bool, int) {
	if w.opts.RatePerMinute < 0 {
		return true, 0
	}
	k := limitKey{a.Rule, subject(a)}
	win := w.limit[k]
	if win == nil || a.Time.Sub(win.start) >= time.Minute {
		prev := 0
		if win != nil {
			prev = win.suppressed
		}
		w.limit[k] = &window{start: a.Time, n: 1}
		return true, prev
	}
	if win.n < w.opts.RatePerMinute {
		win.n++
		prev := win.suppressed
		win.suppressed = 0
		return true, prev
	}
	win.suppressed++
	return false, 0
}

func subject(a detect.Alert) string {
	if a.Event.K8sAudit != nil {
		return a.Event.K8sAudit.User.Username
	}
	return ""
}

func (w *Watcher) emit(a detect.Alert, count int) {
	ok, prev := w.allow(a)
	if !ok {
		w.m.suppressed.WithLabelValues(a.Rule).Inc()
		w.mu.Lock()
		w.stats.Suppressed++
		w.mu.Unlock()
		return
	}
	rec := w.record(a)
	rec.Suppressed, rec.Count = prev, count
	err := w.enc.Encode(rec)
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		if w.err == nil {
			w.err = fmt.Errorf("write alert: %w", err)
		}
		return
	}
	w.stats.Alerts++
	w.m.alerts.WithLabelValues(a.Rule, a.Severity.String()).Inc()
}

// Record is one alert as written: ECS field names, flat.
type Record struct {
	Timestamp       string   `json:"@timestamp"`
	Kind            string   `json:"event.kind"`
	Module          string   `json:"event.module"`
	Dataset         string   `json:"event.dataset,omitempty"`
	Severity        int      `json:"event.severity"`
	Action          string   `json:"event.action,omitempty"`
	EventID         string   `json:"event.id,omitempty"`
	LogLevel        string   `json:"log.level"`
	RuleID          string   `json:"rule.id"`
	RuleName        string   `json:"rule.name"`
	RuleDescription string   `json:"rule.description,omitempty"`
	Message         string   `json:"message"`
	Tags            []string `json:"tags,omitempty"`
	ThreatFramework string   `json:"threat.framework,omitempty"`
	Techniques      []string `json:"threat.technique.id,omitempty"`
	UserName        string   `json:"user.name,omitempty"`
	EffectiveUser   string   `json:"user.effective.name,omitempty"`
	SourceIP        string   `json:"source.ip,omitempty"`
	UserAgent       string   `json:"user_agent.original,omitempty"`
	URL             string   `json:"url.original,omitempty"`
	StatusCode      int      `json:"http.response.status_code,omitempty"`
	Namespace       string   `json:"kubernetes.namespace,omitempty"`
	Orchestrator    string   `json:"orchestrator.type,omitempty"`
	ResourceType    string   `json:"orchestrator.resource.type,omitempty"`
	ResourceName    string   `json:"orchestrator.resource.name,omitempty"`
	Suppressed      int      `json:"kguard.suppressed,omitempty"`
	Count           int      `json:"kguard.count,omitempty"`
}

// SeverityNumber maps a severity to event.severity.
func SeverityNumber(s rules.Severity) int {
	switch s {
	case rules.SeverityCritical:
		return 99
	case rules.SeverityHigh:
		return 73
	case rules.SeverityMedium:
		return 47
	case rules.SeverityLow:
		return 21
	}
	return 1
}

func isTechnique(tag string) bool {
	if len(tag) < 5 || tag[0] != 'T' {
		return false
	}
	for i, c := range tag[1:] {
		if !(c >= '0' && c <= '9') && !(c == '.' && i == 4) {
			return false
		}
	}
	return true
}

func resourceType(r *detect.ObjectRef) string {
	if r.Subresource != "" {
		return r.Resource + "/" + r.Subresource
	}
	return r.Resource
}

func (w *Watcher) record(a detect.Alert) Record {
	r := Record{
		Timestamp: a.Time.UTC().Format(time.RFC3339Nano), Kind: "alert", Module: "kguard",
		Severity: SeverityNumber(a.Severity), LogLevel: a.Severity.String(),
		RuleID: a.Rule, RuleName: a.Rule, RuleDescription: strings.TrimSpace(w.desc[a.Rule]),
		Message: a.Output, Tags: slices.Clone(a.Tags),
	}
	for _, t := range a.Tags {
		if isTechnique(t) {
			r.Techniques = append(r.Techniques, t)
		}
	}
	if len(r.Techniques) > 0 {
		r.ThreatFramework = "MITRE ATT&CK"
	}
	if e := a.Event.K8sAudit; e != nil {
		r.Dataset, r.Orchestrator = "kubernetes.audit", "kubernetes"
		r.Action, r.EventID, r.UserName, r.UserAgent, r.URL = e.Verb, e.AuditID, e.User.Username, e.UserAgent, e.RequestURI
		if e.ImpersonatedUser != nil {
			r.EffectiveUser = e.ImpersonatedUser.Username
		}
		if len(e.SourceIPs) > 0 {
			r.SourceIP = e.SourceIPs[0]
		}
		if e.ResponseStatus != nil {
			r.StatusCode = e.ResponseStatus.Code
		}
		if o := e.ObjectRef; o != nil {
			r.Namespace, r.ResourceType, r.ResourceName = o.Namespace, resourceType(o), o.Name
		}
	}
	return r
}
