package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/helm"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

const chartDir = "../../../deploy/helm/kguard"

// TestChartPassesItsOwnScan: the in-cluster chart, installed as the README
// recommends (image pinned by digest), has no finding at all.
func TestChartPassesItsOwnScan(t *testing.T) {
	digest := "image.digest=" + imageDigest(t)
	rep, stderr, code := runScan(t, &Options{Input: cmdutil.Input{Args: []string{chartDir}, Release: "kguard", Namespace: "kguard-system", Set: []string{digest}}})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range rep.Findings {
		t.Errorf("chart finding: %s on %s", f.Rule, f.Resource)
	}
}

// TestChartInCluster renders the chart, installs it into a real API
// server, and runs the CronJob's command out of process with a token of
// the chart's own service account: it must succeed with exactly those
// permissions and leave Policy Reports that read back correctly.
func TestChartInCluster(t *testing.T) {
	c := cluster.Shared(t)
	ctx := context.Background()
	const ns = "kguard-system"
	if err := c.EnsureServiceAccount(ctx, ns, "default"); err != nil {
		t.Fatal(err)
	}
	docs, err := helm.Template(chartDir, helm.Options{Release: "kguard", Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	var objs []*inventory.Object
	var job []string
	for _, d := range docs {
		got, errs := inventory.DecodeFile(d.Source, []byte(d.Content))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		for _, o := range got {
			if o.Kind == "CronJob" {
				job = cronJobArgs(t, o)
			}
		}
		objs = append(objs, got...)
	}
	ap, err := cluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	// CRDs first; the API serves their kinds a moment after creation.
	var crds, rest []*inventory.Object
	for _, o := range objs {
		if o.Kind == "CustomResourceDefinition" {
			crds = append(crds, o)
		} else {
			rest = append(rest, o)
		}
	}
	if _, _, err := ap.Apply(ctx, crds); err != nil {
		t.Fatal(err)
	}
	if _, skipped, err := ap.Apply(ctx, rest); err != nil || len(skipped) > 0 {
		t.Fatalf("install chart: %v (skipped %d)", err, len(skipped))
	}
	if len(job) == 0 {
		t.Fatal("the chart has no CronJob command")
	}

	// Something to report on.
	if _, _, err := ap.Apply(ctx, mustDecode(t, `apiVersion: v1
kind: Namespace
metadata: {name: chart-demo}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: chart-demo}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:latest", securityContext: {privileged: true}}]
`)); err != nil {
		t.Fatal(err)
	}

	cfg, err := c.ServiceAccountConfig(ctx, ns, "kguard")
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := c.WriteKubeconfig(t, cfg)
	bin := buildKguard(t)
	dir := t.TempDir()
	args := make([]string, 0, len(job)+1)
	for _, a := range job {
		// The job writes its JSON copy to /tmp in the pod; here, a temp dir.
		args = append(args, strings.Replace(a, "/tmp/", dir+"/", 1))
	}
	args = append(args, "--kubeconfig", kubeconfig)
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kguard %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "policy reports:") {
		t.Errorf("no policy report summary on stderr: %s", stderr.String())
	}

	// With exactly the chart's permissions, only Secrets (off by default)
	// may be unreadable.
	var rep jsonReport
	data, err := os.ReadFile(filepath.Join(dir, "kguard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	for _, ne := range rep.NotEvaluated {
		if ne.Subject != "secrets" {
			t.Errorf("the chart's role misses a permission the scanner needs: %s (%s)", ne.Subject, ne.Permission)
		}
	}

	dyn := dynamic.NewForConfigOrDie(c.AdminConfig())
	prGVR := schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}
	pr, err := dyn.Resource(prGVR).Namespace("chart-demo").Get(ctx, "kguard", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("PolicyReport in chart-demo: %v", err)
	}
	sum, _ := pr.Object["summary"].(map[string]any)
	results, _ := pr.Object["results"].([]any)
	if fail, _ := sum["fail"].(int64); fail == 0 || len(results) == 0 {
		t.Errorf("PolicyReport for chart-demo has no failures: %v", sum)
	}
	found := false
	for _, r := range results {
		m, _ := r.(map[string]any)
		if m["policy"] == "image-latest-tag" {
			found = true
		}
	}
	if !found {
		t.Error("the :latest image of chart-demo/web is not in its PolicyReport")
	}
	cpr, err := dyn.Resource(schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "clusterpolicyreports"}).Get(ctx, "kguard", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("ClusterPolicyReport: %v", err)
	}
	if s, _ := cpr.Object["summary"].(map[string]any); s["error"] == int64(0) {
		t.Errorf("unreadable Secrets must show as an error result: %v", s)
	}

	// A second run replaces the reports in place (no duplicates).
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	list, err := dyn.Resource(prGVR).Namespace("chart-demo").List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("after two runs: %v, %d reports", err, len(list.Items))
	}
}

func cronJobArgs(t *testing.T, o *inventory.Object) []string {
	u, err := json.Marshal(o.Typed)
	if err != nil {
		t.Fatal(err)
	}
	var cj struct {
		Spec struct {
			JobTemplate struct {
				Spec struct {
					Template struct {
						Spec struct {
							Containers []struct{ Args []string } `json:"containers"`
						} `json:"spec"`
					} `json:"template"`
				} `json:"spec"`
			} `json:"jobTemplate"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(u, &cj); err != nil {
		t.Fatal(err)
	}
	return cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Args
}

func mustDecode(t *testing.T, y string) []*inventory.Object {
	objs, errs := inventory.DecodeFile("inline.yaml", []byte(y))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return objs
}

// buildKguard builds the kguard binary once per test binary run.
func buildKguard(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "kguard")
	start := time.Now()
	out, err := exec.Command("go", "build", "-o", bin, "github.com/kguard/kguard/cmd/kguard").CombinedOutput()
	if err != nil {
		t.Fatalf("build kguard: %v\n%s", err, out)
	}
	t.Logf("built kguard in %s", time.Since(start).Round(time.Millisecond))
	return bin
}
