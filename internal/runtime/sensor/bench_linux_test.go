//go:build linux && (amd64 || arm64)

package sensor

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/runtime/enrich"
)

// execLoop is the exec-heavy workload: a shell starting 2,000 short
// processes one after another.
const execLoop = `i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done`

// BenchmarkExecLoop measures the sensor's cost on the workload: compare
// sensor=off with sensor=on and sensor=on-sys_enter (benchstat; see
// hack/bench-sensor.sh). One op is 2,000 processes; the child CPU time per
// op is reported as child-cpu-ns/op. Needs root.
func BenchmarkExecLoop(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	run := func(b *testing.B) {
		var cpu int64
		for b.Loop() {
			cmd := exec.Command("/bin/sh", "-c", execLoop)
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			cpu += syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)
		}
		b.ReportMetric(float64(cpu)/float64(b.N), "child-cpu-ns/op")
	}
	b.Run("sensor=off", run)
	b.Run("sensor=on", func(b *testing.B) { benchSensor(b, run, nil) })
	// The file hook on sys_enter, as under enforcement or without tracefs.
	b.Run("sensor=on-sys_enter", func(b *testing.B) { benchSensor(b, run, []string{pointOpenTracepoints}) })
}

// benchSensor runs the workload with a sensor loaded (FailHooks fail).
func benchSensor(b *testing.B, run func(*testing.B), fail []string) {
	rs, err := detect.LoadSources(detect.DefaultSources()...)
	if err != nil {
		b.Fatal(err)
	}
	res, err := enrich.NewCgroupResolver(enrich.ResolverOptions{})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(Options{Rules: rs, Enrich: enrich.NewEnricher(res, nil).Enrich, FailHooks: fail,
		OnAlert: func(detect.Alert, string) {}})
	if err != nil {
		b.Skip(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	run(b)
	// Let the reader drain what the last loop left in the ring buffer.
	want := uint64(2000 * b.N)
	for deadline := time.Now().Add(5 * time.Second); s.Stats().Events[detect.SourceProcess] < want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	st := s.Stats()
	if st.Events[detect.SourceProcess] < want {
		b.Errorf("saw %d execs, want at least %d", st.Events[detect.SourceProcess], want)
	}
	b.ReportMetric(float64(st.Lost), "lost")
}
