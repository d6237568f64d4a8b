//go:build linux && (amd64 || arm64)

package sensor

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"time"
	"testing"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/runtime/enrich"
)

// execLoop is the exec-heavy workload: a shell starting 2,000 short
// processes one after another.
const execLoop = `i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done`

// BenchmarkExecLoop measures the sensor's cost on the workload: compare
// sensor=off with sensor=on (benchstat). One op is 2,000 processes; the
// child CPU time per op is reported as child-cpu-ns/op. Needs root.
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
	b.Run("sensor=on", func(b *testing.B) {
		rs, err := detect.LoadSources(detect.DefaultSources()...)
		if err != nil {
			b.Fatal(err)
		}
		res, err := enrich.NewCgroupResolver(enrich.ResolverOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var alerts int
		s, err := New(Options{Rules: rs, Enrich: enrich.NewEnricher(res, nil).Enrich,
			OnAlert: func(detect.Alert, string) { alerts++ }})
		if err != nil {
			b.Skip(err)
		}
		defer s.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		run(b)
		// Let the reader drain what the last loop left in the ring buffer.
		for deadline := time.Now().Add(5 * time.Second); s.Stats().Events[detect.SourceProcess] < uint64(2000*b.N) && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		st := s.Stats()
		if st.Events[detect.SourceProcess] < uint64(2000*b.N) {
			b.Errorf("saw %d execs, want at least %d", st.Events[detect.SourceProcess], 2000*b.N)
		}
		b.ReportMetric(float64(st.Lost), "lost")
	})
}
