package sensor

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kguard/kguard/internal/detect"
)

// Collector exports a sensor's counts and hook states to Prometheus,
// read at scrape time.
func Collector(s *Sensor) prometheus.Collector { return collector{s} }

type collector struct{ s *Sensor }

var (
	descEvents = prometheus.NewDesc("kguard_sensor_events_total", "Events read from the kernel, by source.", []string{"source"}, nil)
	descLost   = prometheus.NewDesc("kguard_sensor_lost_events_total", "Events dropped in the kernel because the ring buffer was full.", nil, nil)
	descKilled = prometheus.NewDesc("kguard_sensor_killed_total", "Processes killed by the kernel program (kill rules, --enforce).", nil, nil)
	descDenied = prometheus.NewDesc("kguard_sensor_connects_denied_total", "Connects refused by the deny list (--enforce).", nil, nil)
	descDecode = prometheus.NewDesc("kguard_sensor_decode_errors_total", "Ring buffer records that could not be decoded.", nil, nil)
	descHook   = prometheus.NewDesc("kguard_sensor_hook_active", "1 when the hook is attached, 0 when it is not.", []string{"hook", "program"}, nil)
)

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descEvents, descLost, descKilled, descDenied, descDecode, descHook} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	for _, src := range []string{detect.SourceProcess, detect.SourceFile, detect.SourceNetwork} {
		ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(st.Events[src]), src)
	}
	ch <- prometheus.MustNewConstMetric(descLost, prometheus.CounterValue, float64(st.Lost))
	ch <- prometheus.MustNewConstMetric(descKilled, prometheus.CounterValue, float64(st.Killed))
	ch <- prometheus.MustNewConstMetric(descDenied, prometheus.CounterValue, float64(st.Denied))
	ch <- prometheus.MustNewConstMetric(descDecode, prometheus.CounterValue, float64(st.DecodeErrors))
	for _, h := range c.s.Hooks() {
		v := 0.0
		if h.Active {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(descHook, prometheus.GaugeValue, v, h.Name, h.Program)
	}
}
