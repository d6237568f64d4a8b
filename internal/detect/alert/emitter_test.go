package alert

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/finding"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// collect is a Sink keeping the records it is sent.
type collect struct {
	mu   sync.Mutex
	recs []Record
}

func (c *collect) Send(r Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r)
}

func (c *collect) Close(context.Context) error { return nil }

func (c *collect) all() []Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Record(nil), c.recs...)
}

func auditAlert(rule, user string, at time.Duration) detect.Alert {
	return detect.Alert{Rule: rule, Severity: finding.SeverityHigh, Output: "o", Time: t0.Add(at), Source: detect.SourceK8sAudit,
		Event: detect.Event{K8sAudit: &detect.AuditEvent{Verb: "create", User: detect.UserInfo{Username: user}}}}
}

func processAlert(rule string, p detect.Process, at time.Duration) detect.Alert {
	return detect.Alert{Rule: rule, Severity: finding.SeverityCritical, Output: "o", Time: t0.Add(at), Source: detect.SourceProcess,
		Event: detect.Event{Source: detect.SourceProcess, Process: &p}}
}

func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "," + l.GetName() + "=" + l.GetValue()
			}
			got[name] = m.GetCounter().GetValue()
		}
	}
	return got
}

func TestRateLimit(t *testing.T) {
	type step struct {
		a    detect.Alert
		emit bool
		supp int // kguard.suppressed on the record, when emitted
	}
	a := func(user string, at time.Duration) detect.Alert { return auditAlert("r", user, at) }
	cases := []struct {
		name  string
		rate  int
		steps []step
	}{
		{"two a minute, then the count", 2, []step{
			{a("alice", 0), true, 0},
			{a("alice", 10*time.Second), true, 0},
			{a("alice", 20*time.Second), false, 0},
			{a("alice", 30*time.Second), false, 0},
			{a("bob", 40*time.Second), true, 0}, // another subject
			{a("alice", 61*time.Second), true, 2},
			{a("alice", 62*time.Second), true, 0},
		}},
		{"count carried within the minute", 1, []step{
			{a("alice", 0), true, 0},
			{a("alice", time.Second), false, 0},
			{a("alice", 2*time.Second), false, 0},
			{auditAlert("other-rule", "alice", 3*time.Second), true, 0}, // another rule
			{a("alice", 60*time.Second), true, 2},
		}},
		{"no limit", -1, []step{
			{a("alice", 0), true, 0}, {a("alice", 0), true, 0}, {a("alice", 0), true, 0},
		}},
		{"default is ten", 0, func() []step {
			var s []step
			for i := range 12 {
				s = append(s, step{a("alice", time.Duration(i)*time.Second), i < 10, 0})
			}
			return append(s, step{a("alice", 70*time.Second), true, 2})
		}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sink := &collect{}
			reg := prometheus.NewRegistry()
			e, err := New(Options{RatePerMinute: c.rate, Sinks: []Sink{sink}, Registry: reg})
			if err != nil {
				t.Fatal(err)
			}
			wantAlerts, wantSupp := 0, 0
			for i, s := range c.steps {
				before := len(sink.all())
				if got := e.Emit(s.a, Extra{}); got != s.emit {
					t.Fatalf("step %d: Emit = %v, want %v", i, got, s.emit)
				}
				recs := sink.all()
				if !s.emit {
					wantSupp++
					if len(recs) != before {
						t.Fatalf("step %d: suppressed alert reached the sink", i)
					}
					continue
				}
				wantAlerts++
				if len(recs) != before+1 || recs[before].Suppressed != s.supp {
					t.Fatalf("step %d: records %+v, want kguard.suppressed %d", i, recs[before:], s.supp)
				}
			}
			if st := e.Stats(); st.Alerts != uint64(wantAlerts) || st.Suppressed != uint64(wantSupp) {
				t.Errorf("stats %+v, want %d alerts and %d suppressed", st, wantAlerts, wantSupp)
			}
			m := gather(t, reg)
			if m["kguard_alerts_suppressed_total,rule=r"] != float64(wantSupp) {
				t.Errorf("suppressed counter: %v", m)
			}
			total := 0.0
			for _, k := range []string{"kguard_alerts_total,rule=r,severity=high", "kguard_alerts_total,rule=other-rule,severity=high"} {
				total += m[k]
			}
			if total != float64(wantAlerts) {
				t.Errorf("alerts counter: %v", m)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	cases := []struct {
		name string
		a    detect.Alert
		want string
	}{
		{"audit user", auditAlert("r", "alice", 0), "alice"},
		{"container", processAlert("r", detect.Process{CgroupID: 9, Container: detect.Container{ID: "c0ffee"}}, 0), "c0ffee"},
		{"cgroup without container", processAlert("r", detect.Process{CgroupID: 4242}, 0), "cgroup:4242"},
		{"host process", processAlert("r", detect.Process{PID: 1}, 0), "host"},
		{"network event of a container", detect.Alert{Rule: "r", Source: detect.SourceNetwork, Event: detect.Event{
			Network: &detect.Network{DAddr: "1.2.3.4"}, Process: &detect.Process{Container: detect.Container{ID: "abc"}}}}, "abc"},
		{"sensor event without process", detect.Alert{Rule: "r", Source: detect.SourceFile, Event: detect.Event{
			File: &detect.File{Path: "/etc/shadow"}}}, "host"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Subject(c.a); got != c.want {
				t.Errorf("Subject = %q, want %q", got, c.want)
			}
		})
	}
}

// TestSensorSubjectsLimitedApart: alerts of one rule from two containers,
// and from the host, are limited separately.
func TestSensorSubjectsLimitedApart(t *testing.T) {
	sink := &collect{}
	e, err := New(Options{RatePerMinute: 1, Sinks: []Sink{sink}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []detect.Process{
		{Container: detect.Container{ID: "a"}}, {Container: detect.Container{ID: "a"}},
		{Container: detect.Container{ID: "b"}}, {CgroupID: 7}, {CgroupID: 7}, {}, {},
	} {
		e.Emit(processAlert("shell", p, 0), Extra{})
	}
	if st := e.Stats(); st.Alerts != 4 || st.Suppressed != 3 {
		t.Errorf("stats %+v, want 4 emitted (a, b, cgroup 7, host) and 3 suppressed", st)
	}
}

func TestExtraAndDescription(t *testing.T) {
	sink := &collect{}
	e, err := New(Options{Sinks: []Sink{sink}, Descriptions: map[string]string{"shell": "  A shell.\n"}})
	if err != nil {
		t.Fatal(err)
	}
	e.Emit(processAlert("shell", detect.Process{PID: 3}, 0), Extra{Count: 4, Action: "killed"})
	r := sink.all()[0]
	if r.Count != 4 || r.KguardAction != "killed" || r.RuleDescription != "A shell." {
		t.Errorf("record %+v", r)
	}
}

func TestZeroTimeUsesNow(t *testing.T) {
	sink := &collect{}
	e, err := New(Options{Sinks: []Sink{sink}, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	a := auditAlert("r", "u", 0)
	a.Time = time.Time{}
	e.Emit(a, Extra{})
	if got := sink.all()[0].Timestamp; got != "2026-03-02T10:00:00Z" {
		t.Errorf("@timestamp %s", got)
	}
}

// TestPrune: windows of subjects quiet for a minute are forgotten once
// there are many, so the limiter holds about twice the subjects of the
// last minute at most, not every subject ever seen.
func TestPrune(t *testing.T) {
	e, err := New(Options{RatePerMinute: 1})
	if err != nil {
		t.Fatal(err)
	}
	const perSecond, seconds = 100, 400
	for i := range perSecond * seconds {
		e.Emit(auditAlert("r", fmt.Sprint("user-", i), time.Duration(i/perSecond)*time.Second), Extra{})
	}
	if n, live := e.windows(), 60*perSecond; n > 2*live+1 || n < live {
		t.Errorf("%d windows held after %d subjects, %d of them in the last minute", n, perSecond*seconds, live)
	}
}

func TestEmitConcurrent(t *testing.T) {
	sink := &collect{}
	reg := prometheus.NewRegistry()
	e, err := New(Options{RatePerMinute: 5, Sinks: []Sink{sink}, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				// Two subjects shared by all goroutines, one minute.
				e.Emit(auditAlert("r", fmt.Sprint("u", (g+i)%2), time.Duration(i)*time.Millisecond), Extra{})
			}
		})
	}
	wg.Wait()
	if st := e.Stats(); st.Alerts != 10 || st.Suppressed != 390 || len(sink.all()) != 10 {
		t.Errorf("stats %+v, %d records; want 10 emitted (5 per subject), 390 suppressed", st, len(sink.all()))
	}
}

// TestSharedRegistry: two emitters on one registry share the counters
// instead of failing.
func TestSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	for range 2 {
		e, err := New(Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		e.Emit(auditAlert("r", "u", 0), Extra{})
	}
	if got := gather(t, reg)["kguard_alerts_total,rule=r,severity=high"]; got != 2 {
		t.Errorf("kguard_alerts_total = %v, want 2", got)
	}
}
