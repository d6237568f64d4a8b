package scan

import (
	"context"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/helm"
	"github.com/kguard/kguard/internal/testutil/cluster"
	"github.com/kguard/kguard/internal/testutil/ownimage"
)

// imageDigest is the digest of kguard's image as hack/image.sh built it
// (CI builds it first), or a stand-in when none was built.
func imageDigest(t *testing.T) string {
	return ownimage.DigestOr(t, "sha256:"+strings.Repeat("ab", 32))
}

// renderChart renders the chart as `helm template` would, decoded.
func renderChart(t *testing.T, ns string, set ...string) []*inventory.Object {
	t.Helper()
	docs, err := helm.Template(chartDir, helm.Options{Release: "kguard", Namespace: ns, Set: set})
	if err != nil {
		t.Fatal(err)
	}
	var objs []*inventory.Object
	for _, d := range docs {
		got, errs := inventory.DecodeFile(d.Source, []byte(d.Content))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		objs = append(objs, got...)
	}
	return objs
}

func chartCronJob(t *testing.T, objs []*inventory.Object) *batchv1.CronJob {
	t.Helper()
	for _, o := range objs {
		if cj, ok := o.Typed.(*batchv1.CronJob); ok {
			return cj
		}
	}
	t.Fatal("the chart has no CronJob")
	return nil
}

// TestChartImage: the chart's default image is the one the manifests
// commands default to (one definition, in cmdutil), and image.digest
// pins it.
func TestChartImage(t *testing.T) {
	c := chartCronJob(t, renderChart(t, "kguard-system")).Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	if c.Image != cmdutil.DefaultImage() || c.ImagePullPolicy != corev1.PullAlways {
		t.Errorf("default image %q (%s), want %q (Always)", c.Image, c.ImagePullPolicy, cmdutil.DefaultImage())
	}
	d := imageDigest(t)
	c = chartCronJob(t, renderChart(t, "kguard-system", "image.digest="+d)).Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	if want := cmdutil.ImageRepository + ":" + cmdutil.FirstRelease + "@" + d; c.Image != want || c.ImagePullPolicy != corev1.PullIfNotPresent {
		t.Errorf("pinned image %q (%s), want %q (IfNotPresent)", c.Image, c.ImagePullPolicy, want)
	}
	c = chartCronJob(t, renderChart(t, "kguard-system", "image.repository=registry.example/kguard", "image.tag=dev", "image.pullPolicy=Never")).Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	if c.Image != "registry.example/kguard:dev" || c.ImagePullPolicy != corev1.PullNever {
		t.Errorf("overridden image %q (%s)", c.Image, c.ImagePullPolicy)
	}
	if _, err := helm.Template(chartDir, helm.Options{Release: "kguard", Set: []string{"image.digest=latest"}}); err == nil || !strings.Contains(err.Error(), "image.digest") {
		t.Errorf("a digest that is not one: %v, want an error naming image.digest", err)
	}
}

// TestChartDryRunRestricted installs the chart, pinned to the digest of
// kguard's own image, into a real API server with server-side dry run
// and strict field validation, in a namespace whose Pod Security level is
// enforced at restricted: every object must be accepted without a
// warning, and the pod the CronJob would create must be admitted.
func TestChartDryRunRestricted(t *testing.T) {
	c := cluster.Shared(t)
	ctx := context.Background()
	const ns = "kguard-restricted"
	cfg := c.AdminConfig()
	warn := &cluster.Warnings{}
	cfg.WarningHandler = warn
	store, err := cluster.NewApplier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dry, err := cluster.NewApplier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dry.DryRun, dry.Strict = true, true
	if err := store.Create(ctx, &corev1.Namespace{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{
			"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest",
			"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "latest",
		}},
	}); err != nil {
		t.Fatal(err)
	}

	objs := renderChart(t, ns, "image.digest="+imageDigest(t))
	kinds := map[string]bool{}
	for _, o := range objs {
		kinds[o.Kind] = true
		if _, skipped, err := dry.Apply(ctx, []*inventory.Object{o}); err != nil || len(skipped) > 0 {
			t.Errorf("dry run %s: %v (not served: %d)", o.Ref, err, len(skipped))
		}
		if o.Kind == "ServiceAccount" {
			// Pods are admitted against their service account: it must
			// exist for the pod below (the dry run above checked it as is).
			if _, _, err := store.Apply(ctx, []*inventory.Object{o}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, k := range []string{"CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "CronJob", "NetworkPolicy", "ResourceQuota", "LimitRange"} {
		if !kinds[k] {
			t.Errorf("the chart rendered no %s", k)
		}
	}
	for _, m := range warn.Take() {
		t.Errorf("API server warning: %s", m)
	}

	// Pod Security enforces on pods, and only warns on a CronJob: create
	// the pod the job would run, as a dry run.
	cj := chartCronJob(t, objs)
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-scan", Namespace: ns, Labels: cj.Spec.JobTemplate.Spec.Template.Labels},
		Spec:       *cj.Spec.JobTemplate.Spec.Template.Spec.DeepCopy(),
	}
	if err := dry.Create(ctx, pod); err != nil {
		t.Fatalf("the scan job's pod is refused in a restricted namespace: %v", err)
	}
	for _, m := range warn.Take() {
		t.Errorf("API server warning on the pod: %s", m)
	}
	// The check can fail: the same pod, privileged, is refused.
	bad := pod.DeepCopy()
	bad.Spec.Containers[0].SecurityContext.Privileged = new(true)
	bad.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
	if err := dry.Create(ctx, bad); err == nil || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "PodSecurity") {
		t.Errorf("a privileged scan pod was not refused by Pod Security (%v): the check above proves nothing", err)
	}
}
