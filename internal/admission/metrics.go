package admission

import (
	"strconv"
	"time"

	"github.com/kguard/kguard/internal/finding"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the webhook's Prometheus metrics, on their own registry so
// that tests and several servers in one process never collide.
type Metrics struct {
	Registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	decisions *prometheus.CounterVec
	findings  *prometheus.CounterVec
	latency   prometheus.Histogram
}

// NewMetrics creates and registers the metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kguard_admission_requests_total", Help: "Admission HTTP requests by status code.",
		}, []string{"code"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kguard_admission_decisions_total", Help: "Admission decisions (allowed or denied).",
		}, []string{"decision"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kguard_admission_findings_total", Help: "Findings at admission by rule and action (deny, warn, audit).",
		}, []string{"rule", "action"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kguard_admission_request_duration_seconds", Help: "Time to answer an admission request.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
		}),
	}
	m.Registry.MustRegister(m.requests, m.decisions, m.findings, m.latency,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) observeRequest(code int, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
	m.latency.Observe(d.Seconds())
}

func (m *Metrics) observeDecision(decision string) {
	if m == nil {
		return
	}
	m.decisions.WithLabelValues(decision).Inc()
}

func (m *Metrics) observeFindings(v Verdict) {
	if m == nil {
		return
	}
	for _, set := range []struct {
		action string
		fs     []finding.Finding
	}{{"deny", v.Denied}, {"warn", v.Warnings}, {"audit", v.Audited}} {
		for _, f := range set.fs {
			m.findings.WithLabelValues(f.Rule, set.action).Inc()
		}
	}
}
