package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

// scanFindings runs `kguard scan -o json` in memory and returns the
// findings, standard error and the exit status.
func scanFindings(t *testing.T, o *Options) ([]finding.Finding, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	o.Streams = &cmdutil.Streams{Out: &out, ErrOut: &errOut}
	o.Registry = all.Registry
	o.Report.Output, o.Report.FailOn = "json", "none"
	err := Run(context.Background(), o)
	if err != nil {
		errOut.WriteString(err.Error())
	}
	var rep struct {
		Findings []finding.Finding `json:"findings"`
	}
	if out.Len() > 0 {
		if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
			t.Fatalf("report is not JSON: %v\n%s", jerr, out.String())
		}
	}
	return rep.Findings, errOut.String(), cmdutil.CodeOf(err)
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const privilegedPods = `{metadata: {labels: {app: web}}, spec: {containers: [{name: app, image: "ghcr.io/acme/web:1.0", securityContext: {privileged: true}}]}}`

// TestScanCustomWorkloads: a scan judges custom resources on their pod
// templates, reports a template that does not decode as an input error
// with its file and line while scanning everything else, and reads the
// podTemplates of the config.
func TestScanCustomWorkloads(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"rollout.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec: {template: ` + privilegedPods + `}
`,
		"broken.yaml": `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: broken, namespace: shop}
spec:
  template:
    spec:
      containers: {name: app}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: after, namespace: shop}
spec: {selector: {matchLabels: {app: web}}, template: ` + privilegedPods + `}
`,
		"widget.yaml": `apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop}
spec: {pods: ` + privilegedPods + `}
`,
		"kguard.yaml": "podTemplates:\n  - {group: example.com, kind: Widget, path: spec.pods}\n",
	})
	manifests := []string{filepath.Join(dir, "rollout.yaml"), filepath.Join(dir, "broken.yaml"), filepath.Join(dir, "widget.yaml")}
	privileged := func(fs []finding.Finding) map[string]string {
		out := map[string]string{}
		for _, f := range fs {
			if f.Rule == "pss-baseline-privileged" {
				out[f.Resource.Kind+" "+f.Resource.Name] = f.Field + " @ " + filepath.Base(f.Source.File) + ":" + strconv.Itoa(f.Source.Line)
			}
		}
		return out
	}

	fs, stderr, code := scanFindings(t, &Options{Input: cmdutil.Input{Args: manifests}, ConfigFile: filepath.Join(dir, "kguard.yaml")})
	if code != cmdutil.ExitUsage {
		t.Errorf("exit %d, want %d for an input error", code, cmdutil.ExitUsage)
	}
	wantErr := filepath.Join(dir, "broken.yaml") + ":5: Rollout shop/broken: spec.template is not a valid pod template: " +
		"spec.template.spec.containers: object where the pod spec wants []v1.Container"
	if !strings.Contains(stderr, wantErr) {
		t.Errorf("stderr lacks %q:\n%s", wantErr, stderr)
	}
	got := privileged(fs)
	want := map[string]string{
		"Rollout web":      "spec.template.spec @ rollout.yaml:1",
		"Deployment after": "spec.template.spec @ broken.yaml:13",
		"Widget w":         "spec.pods.spec @ widget.yaml:1",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: privileged finding %q, want %q", k, got[k], v)
		}
	}
	if _, ok := got["Rollout broken"]; ok {
		t.Error("the malformed Rollout was judged")
	}

	// Without the config, Widget is not a workload (the negative control
	// of the config path).
	fs, _, _ = scanFindings(t, &Options{Input: cmdutil.Input{Args: manifests}, ConfigFile: writeFiles(t, map[string]string{"c.yaml": "{}\n"}) + "/c.yaml"})
	if _, ok := privileged(fs)["Widget w"]; ok {
		t.Error("Widget judged without its podTemplates entry")
	}

	// A bad entry is a usage error naming the file and the entry.
	bad := filepath.Join(writeFiles(t, map[string]string{"bad.yaml": "podTemplates:\n  - {group: apps, kind: Deployment, path: spec.template}\n"}), "bad.yaml")
	_, stderr, code = scanFindings(t, &Options{Input: cmdutil.Input{Args: manifests}, ConfigFile: bad})
	if code != cmdutil.ExitUsage || !strings.Contains(stderr, "config "+bad+": podTemplates[0]: apps Deployment is a built-in kind") {
		t.Errorf("bad config: exit %d, %s", code, stderr)
	}
}

// TestClusterScanCustomWorkloads: `scan --cluster` reads the custom
// resources of the pod template table from a real API server (the config's
// kinds too) and judges them on their templates. It starts a cluster of its
// own: the CRDs would change what other tests of the shared one see.
func TestClusterScanCustomWorkloads(t *testing.T) {
	c := cluster.Start(t, cluster.Options{})
	ctx := context.Background()
	ap, err := cluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range [][4]string{{"argoproj.io", "Rollout", "rollouts", "v1alpha1"}, {"example.com", "Widget", "widgets", "v1"}} {
		if err := ap.InstallCRD(ctx, crd[0], crd[1], crd[2], crd[3]); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := ap.Apply(ctx, mustDecode(t, `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec: {selector: {matchLabels: {app: web}}, template: `+privilegedPods+`}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop}
spec: {pods: `+privilegedPods+`}
`)); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(writeFiles(t, map[string]string{"kguard.yaml": "podTemplates:\n  - {group: example.com, kind: Widget, path: spec.pods}\n"}), "kguard.yaml")
	fs, stderr, code := scanFindings(t, &Options{Input: cmdutil.Input{Cluster: true, RESTConfig: c.AdminConfig(), Namespace: "shop"}, ConfigFile: config})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := map[string]string{}
	for _, f := range fs {
		if f.Rule == "pss-baseline-privileged" {
			got[f.Resource.Kind+" "+f.Resource.Namespace+"/"+f.Resource.Name] = f.Field
		}
	}
	for k, field := range map[string]string{"Rollout shop/web": "spec.template.spec", "Widget shop/w": "spec.pods.spec"} {
		if got[k] != field {
			t.Errorf("%s: privileged finding on %q, want %q (all: %v)", k, got[k], field, got)
		}
	}
}
