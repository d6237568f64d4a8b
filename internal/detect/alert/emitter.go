package alert

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kguard/kguard/internal/detect"
)

// DefaultRatePerMinute is the rate limit of a zero Options.RatePerMinute.
const DefaultRatePerMinute = 10

// pruneFloor is the number of rate-limit windows below which old ones
// are not looked for.
const pruneFloor = 4096

// Options configure an Emitter.
type Options struct {
	// RatePerMinute is the most alerts emitted per (rule, subject) in a
	// minute of event time; 0 means DefaultRatePerMinute and a negative
	// value no limit.
	RatePerMinute int
	// Sinks receive every alert let through, in order.
	Sinks []Sink
	// Descriptions are the rules' descriptions by rule ID (see
	// Descriptions), for rule.description.
	Descriptions map[string]string
	// Registry, when set, gets the alert counters. Emitters and webhooks
	// sharing a registry share the counters.
	Registry prometheus.Registerer
	// Now dates alerts without a time (time.Now).
	Now func() time.Time
}

// Extra is what the caller adds to an alert.
type Extra struct {
	// Count goes to kguard.count (for example the 403s of a burst).
	Count int
	// Action goes to kguard.action: what was done, such as "killed".
	Action string
}

// Stats count what an Emitter has done.
type Stats struct {
	Alerts     uint64 // handed to the sinks
	Suppressed uint64 // dropped by the rate limit
}

// Emitter rate-limits alerts, counts them and hands their Records to
// the sinks. It is safe for concurrent use.
type Emitter struct {
	opts       Options
	alerts     *prometheus.CounterVec
	suppressed *prometheus.CounterVec

	mu      sync.Mutex
	limit   map[limitKey]*window
	pruneAt int

	nAlerts, nSuppressed atomic.Uint64
}

type limitKey struct{ rule, subject string }

// window is one key's current minute: its start, the alerts let through
// and those suppressed since the last one let through.
type window struct {
	start      time.Time
	n          int
	suppressed int
}

// New returns an Emitter; it fails only when the counters cannot be
// registered.
func New(opts Options) (*Emitter, error) {
	if opts.RatePerMinute == 0 {
		opts.RatePerMinute = DefaultRatePerMinute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Descriptions = maps.Clone(opts.Descriptions)
	e := &Emitter{opts: opts, limit: map[limitKey]*window{}, pruneAt: pruneFloor}
	var err error
	e.alerts, err = register(opts.Registry, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kguard_alerts_total",
		Help: "Alerts emitted, by rule and severity."}, []string{"rule", "severity"}))
	if err != nil {
		return nil, err
	}
	e.suppressed, err = register(opts.Registry, prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kguard_alerts_suppressed_total",
		Help: "Alerts dropped by the per rule and subject rate limit, by rule."}, []string{"rule"}))
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Emit rate-limits a, and unless it is suppressed builds its Record and
// hands it to every sink. It reports whether the alert was emitted.
func (e *Emitter) Emit(a detect.Alert, x Extra) bool {
	if a.Time.IsZero() {
		a.Time = e.opts.Now()
	}
	ok, prev := e.allow(a)
	if !ok {
		e.nSuppressed.Add(1)
		e.suppressed.WithLabelValues(a.Rule).Inc()
		return false
	}
	r := NewRecord(a, e.opts.Descriptions[a.Rule])
	r.Suppressed, r.Count, r.KguardAction = prev, x.Count, x.Action
	for _, s := range e.opts.Sinks {
		s.Send(r)
	}
	e.nAlerts.Add(1)
	e.alerts.WithLabelValues(a.Rule, a.Severity.String()).Inc()
	return true
}

// allow applies the rate limit; it returns whether to emit the alert and
// how many of its key were suppressed before it.
func (e *Emitter) allow(a detect.Alert) (bool, int) {
	if e.opts.RatePerMinute < 0 {
		return true, 0
	}
	k := limitKey{a.Rule, Subject(a)}
	e.mu.Lock()
	defer e.mu.Unlock()
	win := e.limit[k]
	if win == nil || a.Time.Sub(win.start) >= time.Minute {
		prev := 0
		if win != nil {
			prev = win.suppressed
		}
		e.limit[k] = &window{start: a.Time, n: 1}
		if len(e.limit) > e.pruneAt {
			e.prune(a.Time)
		}
		return true, prev
	}
	if win.n < e.opts.RatePerMinute {
		win.n++
		prev := win.suppressed
		win.suppressed = 0
		return true, prev
	}
	win.suppressed++
	return false, 0
}

// prune forgets the windows that ended before now. A window's pending
// suppressed count is lost with it (the counter metric keeps it). The
// next prune waits until the map has doubled, so that a steady set of
// busy keys does not make every alert scan the map.
func (e *Emitter) prune(now time.Time) {
	for k, w := range e.limit {
		if now.Sub(w.start) >= time.Minute {
			delete(e.limit, k)
		}
	}
	e.pruneAt = max(pruneFloor, 2*len(e.limit))
}

// Subject is whom an alert is rate limited by: the authenticated user of
// an audit event; for a sensor event the container ID, else the cgroup
// ("cgroup:<id>"), else "host".
func Subject(a detect.Alert) string {
	ev := a.Event
	if ev.K8sAudit != nil {
		return ev.K8sAudit.User.Username
	}
	p := ev.Process
	switch {
	case p == nil:
		return "host"
	case p.Container.ID != "":
		return p.Container.ID
	case p.CgroupID != 0:
		return "cgroup:" + strconv.FormatUint(p.CgroupID, 10)
	}
	return "host"
}

// Stats returns the counts so far.
func (e *Emitter) Stats() Stats {
	return Stats{Alerts: e.nAlerts.Load(), Suppressed: e.nSuppressed.Load()}
}

// Close closes the sinks, all at once so that each may deliver what it
// holds until ctx ends, and returns their errors.
func (e *Emitter) Close(ctx context.Context) error {
	errs := make([]error, len(e.opts.Sinks))
	var wg sync.WaitGroup
	for i, s := range e.opts.Sinks {
		wg.Go(func() { errs[i] = s.Close(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// windows returns the number of rate-limit windows held, for tests.
func (e *Emitter) windows() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.limit)
}
