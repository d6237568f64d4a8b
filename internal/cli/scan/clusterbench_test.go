package scan

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kguard/kguard/internal/corpus"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

// TestClusterScanBenchmark is the live-cluster corpus benchmark of
// docs/performance.md. It is opt-in (it stores tens of thousands of
// objects): KGUARD_BENCH_CLUSTER_OBJECTS=20000 go test ./internal/cli/scan
// -run TestClusterScanBenchmark -v -timeout 30m. It generates the corpus,
// stores it in the harness's real API server, then runs `kguard scan
// --cluster -A --timings` out of process three times and logs the wall
// time, peak RSS and the split between reading and rules. It asserts only
// that the scan saw every object, never a time.
func TestClusterScanBenchmark(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("KGUARD_BENCH_CLUSTER_OBJECTS"))
	if n <= 0 {
		t.Skip("set KGUARD_BENCH_CLUSTER_OBJECTS (e.g. 20000) to run the live-cluster benchmark")
	}
	c := cluster.Shared(t)
	ctx := context.Background()

	var objs []*inventory.Object
	err := corpus.Generate(corpus.Options{Objects: n, Seed: 1}, func(f corpus.File) error {
		got, errs := inventory.DecodeFile(f.Name, f.Data)
		if len(errs) > 0 {
			return errs[0]
		}
		objs = append(objs, got...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Namespaces first, then everything else from 16 writers.
	var nss, others []*inventory.Object
	for _, o := range objs {
		if o.Kind == "Namespace" {
			nss = append(nss, o)
		} else {
			others = append(others, o)
		}
	}
	cfg := c.AdminConfig()
	cfg.QPS, cfg.Burst = 5000, 5000
	cfg.WarningHandler = rest.NoWarnings{} // the corpus is insecure on purpose
	start := time.Now()
	apply := func(part []*inventory.Object) error {
		ap, err := cluster.NewApplier(cfg)
		if err != nil {
			return err
		}
		_, _, err = ap.Apply(ctx, part)
		return err
	}
	if err := apply(nss); err != nil {
		t.Fatal(err)
	}
	const writers = 16
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var part []*inventory.Object
			for i := w; i < len(others); i += writers {
				part = append(part, others[i])
			}
			errs[w] = apply(part)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("stored %d objects in %s", len(objs), time.Since(start).Round(time.Millisecond))

	bin := buildKguard(t)
	kubeconfig := c.WriteKubeconfig(t, c.AdminConfig())
	for run := 1; run <= 3; run++ {
		cmd := exec.Command("/usr/bin/time", "-f", "wall %e s, peak RSS %M KB", bin, "scan", "--cluster", "-A",
			"--kubeconfig", kubeconfig, "--timings", "-o", "json", "--fail-on", "none", "--allow-partial")
		cmd.Stdout = nil
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("scan: %v\n%s", err, out)
		}
		var lines []string
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "timings:") || strings.HasPrefix(l, "wall ") {
				lines = append(lines, l)
			}
		}
		t.Logf("run %d: %s", run, strings.Join(lines, "; "))
		if !strings.Contains(string(out), fmt.Sprintf("(%d objects)", len(objs))) {
			// The cluster also holds its own objects (default namespaces,
			// the kube-root-ca.crt ConfigMaps...), so only check the scan
			// saw at least the corpus.
			if !sawAtLeast(string(out), len(objs)) {
				t.Errorf("the scan did not see the %d stored objects:\n%s", len(objs), strings.Join(lines, "\n"))
			}
		}
	}
}

// sawAtLeast reads "(N objects)" from the --timings line.
func sawAtLeast(out string, want int) bool {
	_, after, ok := strings.Cut(out, "timings:")
	if !ok {
		return false
	}
	i := strings.LastIndex(after, "(")
	j := strings.Index(after[i:], " objects)")
	if i < 0 || j < 0 {
		return false
	}
	got, err := strconv.Atoi(after[i+1 : i+j])
	return err == nil && got >= want
}
