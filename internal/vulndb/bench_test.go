package vulndb

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The benchmarks use a synthetic store of 200,000 advisories spread over
// the ecosystems images hold, about ten per package name, and 1,000
// distinct image inventories of 300 packages each, drawn from the same
// names with random versions (half of them below the fixed version).
//
//	go test ./internal/vulndb -run '^$' -bench . -benchtime 3x

const (
	benchAdvisories = 200_000
	benchImages     = 1_000
	benchPackages   = 300
)

var benchEcosystems = []struct {
	eco   string
	share int // per mille of the advisories
}{
	{"Debian:12", 300}, {"Ubuntu:22.04:LTS", 200}, {"Alpine:v3.20", 100},
	{"Go", 100}, {"npm", 150}, {"PyPI", 100}, {"Maven", 50},
}

func benchVersion(r *rand.Rand, eco string) string {
	a, b, c := r.IntN(5), r.IntN(20), r.IntN(30)
	switch eco {
	case "Debian:12", "Ubuntu:22.04:LTS":
		return fmt.Sprintf("%d.%d.%d-%d", a, b, c, 1+r.IntN(3))
	case "Alpine:v3.20":
		return fmt.Sprintf("%d.%d.%d-r%d", a, b, c, r.IntN(5))
	}
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}

var (
	benchOnce sync.Once
	benchDir  string
	benchInvs [][]Query
)

func benchSetup(b *testing.B) {
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 2))
		dir, err := os.MkdirTemp("", "kguard-vulndb-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = dir
		names := map[string][]string{}
		var advs []*Advisory
		now := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		for _, e := range benchEcosystems {
			n := benchAdvisories * e.share / 1000
			pkgs := n / 10
			for i := 0; i < pkgs; i++ {
				names[e.eco] = append(names[e.eco], "pkg-"+strings.ToLower(strings.ReplaceAll(e.eco, ":", "-"))+"-"+strconv.Itoa(i))
			}
			for i := 0; i < n; i++ {
				advs = append(advs, &Advisory{
					ID: fmt.Sprintf("BENCH-%s-%d", e.eco, i), Aliases: []string{fmt.Sprintf("CVE-2099-%d", len(advs))},
					Summary: "synthetic advisory", Modified: now, Severity: "HIGH", Score: 7.5,
					Affected: []Affected{{Ecosystem: e.eco, Name: names[e.eco][r.IntN(pkgs)], Ranges: []Range{{
						Type: "ECOSYSTEM", Events: []osvEvent{{Introduced: "0"}, {Fixed: benchVersion(r, e.eco)}},
					}}}},
				})
			}
		}
		if err := write(dir, advs, Meta{Written: now}); err != nil {
			b.Fatal(err)
		}
		distros := []string{"Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.20"}
		langs := []string{"Go", "npm", "PyPI", "Maven"}
		for i := 0; i < benchImages; i++ {
			var inv []Query
			distro, lang := distros[i%len(distros)], langs[i%len(langs)]
			for j := 0; j < benchPackages; j++ {
				eco := distro
				if j%3 == 0 {
					eco = lang
				}
				ns := names[eco]
				inv = append(inv, Query{Ecosystem: eco, Name: ns[r.IntN(len(ns))], Version: benchVersion(r, eco)})
			}
			benchInvs = append(benchInvs, inv)
		}
	})
}

// BenchmarkOpen200k opens the 200,000-advisory store.
func BenchmarkOpen200k(b *testing.B) {
	benchSetup(b)
	for b.Loop() {
		db, err := Open(benchDir)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// BenchmarkMatch1000Images opens the store and matches 1,000 distinct
// inventories against it with a fresh matcher (nothing remembered from an
// earlier iteration), one worker per CPU as `kguard images scan` and
// `kguard scan --images` run images; it reports the CPU seconds the loop
// used (a figure that other load on the machine does not inflate) and the
// peak resident memory of the process.
func BenchmarkMatch1000Images(b *testing.B) {
	benchSetup(b)
	var found atomic.Int64
	cpu0 := cpuSeconds()
	for b.Loop() {
		db, err := Open(benchDir)
		if err != nil {
			b.Fatal(err)
		}
		m := NewMatcher(db)
		found.Store(0)
		next := make(chan []Query)
		var wg sync.WaitGroup
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for inv := range next {
					for _, q := range inv {
						ms, err := m.Match(q)
						if err != nil {
							panic(err)
						}
						found.Add(int64(len(ms)))
					}
				}
			}()
		}
		for _, inv := range benchInvs {
			next <- inv
		}
		close(next)
		wg.Wait()
		db.Close()
	}
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(found.Load()), "matches")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
	}
}

// cpuSeconds is the user and system CPU time the process used so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSS reads the process' peak resident set size (Linux), 0 elsewhere.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
