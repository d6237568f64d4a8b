package admit

import (
	"bytes"
	"context"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/testutil/cluster"
	"github.com/spf13/cobra"
)

const pinned = "ghcr.io/kguard/kguard@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// manifestsCmd is the command as the tree builds it.
func manifestsCmd(s *cmdutil.Streams) *cobra.Command { return newManifestsCmd(s, RunManifests) }

func render(t *testing.T, args ...string) []*inventory.Object {
	t.Helper()
	out, errOut, code := clitest.Run(t, manifestsCmd, args...)
	if code != 0 {
		t.Fatalf("manifests %v: exit %d: %s", args, code, errOut)
	}
	objs, errs := inventory.DecodeFile("admit.yaml", []byte(out))
	if len(errs) > 0 {
		t.Fatalf("manifests %v do not parse: %v", args, errs)
	}
	return objs
}

func TestManifestsFlags(t *testing.T) {
	for _, o := range render(t, "--image", pinned) {
		if d, ok := o.Typed.(*appsv1.Deployment); ok && d.Spec.Template.Spec.Containers[0].Image != pinned {
			t.Errorf("image %q, want %q", d.Spec.Template.Spec.Containers[0].Image, pinned)
		}
	}
	for _, bad := range [][]string{
		{"--image", "kguard"},
		{"--image", "kguard:1\n  hostNetwork: true"},
		{"--namespace", "Not_A_Namespace"},
		{"--failure-policy", "Maybe"},
		{"--timeout-seconds", "31"},
	} {
		if _, errOut, code := clitest.Run(t, manifestsCmd, bad...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", bad, code, errOut)
		}
	}
}

// TestManifestsOnAPIServer creates the webhook's objects on a real API
// server (server-side dry run, strict fields; the namespace, which
// enforces Pod Security restricted, and the service account for real):
// all accepted without a warning, and the webhook's pod admitted in its
// restricted namespace. cert-manager's kinds are not served there.
func TestManifestsOnAPIServer(t *testing.T) {
	c := cluster.Start(t, cluster.Options{})
	ctx := context.Background()
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
	objs := render(t, "--image", pinned)
	var dep *appsv1.Deployment
	for _, o := range objs {
		one := []*inventory.Object{o}
		ap := dry
		if o.Kind == "Namespace" || o.Kind == "ServiceAccount" {
			ap = store
		}
		_, skipped, err := ap.Apply(ctx, one)
		if err != nil {
			t.Errorf("%s: %v", o.Ref, err)
		}
		if len(skipped) > 0 && o.Group() != "cert-manager.io" {
			t.Errorf("%s is not served", o.Ref)
		}
		if d, ok := o.Typed.(*appsv1.Deployment); ok {
			dep = d
		}
	}
	for _, m := range warn.Take() {
		t.Errorf("API server warning: %s", m)
	}
	if dep == nil {
		t.Fatal("no Deployment")
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-admit-0", Namespace: dep.Namespace, Labels: dep.Spec.Template.Labels},
		Spec:       *dep.Spec.Template.Spec.DeepCopy(),
	}
	if err := dry.Create(ctx, pod); err != nil {
		t.Fatalf("the webhook's pod is refused: %v", err)
	}
	// The namespace does enforce: a pod running as root is refused.
	pod.Spec.SecurityContext.RunAsUser, pod.Spec.SecurityContext.RunAsNonRoot = new(int64(0)), nil
	if err := dry.Create(ctx, pod); err == nil || !strings.Contains(err.Error(), "PodSecurity") {
		t.Errorf("a root pod was admitted in the webhook's namespace (%v): the check above proves nothing", err)
	}
}

// TestManifestsInterceptCustomWorkloads: the webhook configuration sends
// every custom resource of kguard's pod template table to the webhook, so
// that a privileged Rollout is judged like a privileged Deployment. (The
// end-to-end test in internal/admission registers these rules with a real
// API server.)
func TestManifestsInterceptCustomWorkloads(t *testing.T) {
	var out bytes.Buffer
	o := &ManifestOptions{Streams: &cmdutil.Streams{Out: &out}, Namespace: "kguard-system", Image: "kguard:test", Replicas: 2, FailurePolicy: "Fail", Timeout: 5}
	if err := RunManifests(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.DecodeFile("manifests.yaml", out.Bytes())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	intercepted := map[[2]string]bool{}
	found := false
	for _, obj := range objs {
		vwc, ok := obj.Typed.(*admissionregistrationv1.ValidatingWebhookConfiguration)
		if !ok {
			continue
		}
		found = true
		for _, wh := range vwc.Webhooks {
			for _, r := range wh.Rules {
				for _, g := range r.APIGroups {
					for _, res := range r.Resources {
						intercepted[[2]string{g, res}] = createAndUpdate(r.Operations)
					}
				}
			}
		}
	}
	if !found {
		t.Fatal("no ValidatingWebhookConfiguration")
	}
	for _, k := range extract.WellKnownTemplates() {
		if !intercepted[[2]string{k.Group, k.Resource}] {
			t.Errorf("the webhook does not see %s %s (%s) on create and update", k.Group, k.Kind, k.Resource)
		}
	}
	// The built-in workloads are still there.
	for _, gr := range [][2]string{{"apps", "deployments"}, {"", "pods"}, {"batch", "cronjobs"}} {
		if !intercepted[gr] {
			t.Errorf("the webhook does not see %v", gr)
		}
	}
}

// createAndUpdate reports whether ops holds both CREATE and UPDATE.
func createAndUpdate(ops []admissionregistrationv1.OperationType) bool {
	var c, u bool
	for _, op := range ops {
		c = c || op == admissionregistrationv1.Create
		u = u || op == admissionregistrationv1.Update
	}
	return c && u
}
