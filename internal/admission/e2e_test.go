package admission_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kguard/kguard/internal/admission"
	"github.com/kguard/kguard/internal/cli/admit"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/policy/vap"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

// warnings collects the API server's Warning headers.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, msg string) {
	w.mu.Lock()
	w.msgs = append(w.msgs, msg)
	w.mu.Unlock()
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}

func deployment(name, image string, privileged bool) *appsv1.Deployment {
	f, t := false, true
	uid := int64(10001)
	sc := &corev1.SecurityContext{
		AllowPrivilegeEscalation: &f, ReadOnlyRootFilesystem: &t,
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	if privileged {
		sc = &corev1.SecurityContext{Privileged: &t}
	}
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: &f,
					SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &t, RunAsUser: &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers: []corev1.Container{{
						Name: "app", Image: image, SecurityContext: sc,
						Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{
							corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("128Mi")}},
					}},
				},
			},
		},
	}
}

// setup creates the namespaces every enforcement test uses: "shop"
// (default mode) and "lab" (labelled audit).
func setup(t *testing.T, cs *kubernetes.Clientset) {
	ctx := context.Background()
	for name, labels := range map[string]map[string]string{"shop": nil, "lab": {admission.ModeLabel: "audit"}} {
		_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
}

// verdicts applies the three objects of the issue and reports what the
// API server did with each: denied (with message) or allowed (with the
// warnings it returned).
type verdict struct {
	allowed  bool
	message  string
	warnings []string
}

func verdicts(t *testing.T, c *cluster.Cluster) map[string]verdict {
	w := &warnings{}
	cfg := c.AdminConfig()
	cfg.WarningHandler = w
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx := context.Background()
	out := map[string]verdict{}
	for _, tc := range []struct {
		name, ns string
		d        *appsv1.Deployment
	}{
		{"privileged", "shop", deployment("privileged", "nginx:latest", true)},
		{"hardened", "shop", deployment("hardened", "ghcr.io/acme/web:1.4.2", false)},
		{"audited", "lab", deployment("audited", "nginx:latest", true)},
	} {
		w.take()
		_, err := cs.AppsV1().Deployments(tc.ns).Create(ctx, tc.d, metav1.CreateOptions{})
		v := verdict{allowed: err == nil, warnings: w.take()}
		if err != nil {
			if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) {
				t.Fatalf("%s: unexpected error %v", tc.name, err)
			}
			v.message = err.Error()
		}
		out[tc.name] = v
	}
	return out
}

// TestWebhookEndToEnd registers kguard's webhook, served over TLS on
// loopback, with a real API server and checks its decisions there.
func TestWebhookEndToEnd(t *testing.T) {
	c := cluster.Start(t, cluster.Options{})
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	ss, err := admission.NewSelfSigned([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ss.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := &admission.Server{
		Handler:        &admission.Handler{Registry: reg, DefaultMode: admission.ModeBaseline, Modes: admission.StaticModes{"lab": admission.ModeAudit}},
		GetCertificate: admission.StaticCertificate(cert),
	}
	go func() { _ = srv.Serve(ctx, ln) }()

	cs := c.Admin()
	setup(t, cs)
	url := fmt.Sprintf("https://%s/validate", ln.Addr())
	fail, none := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: "validate.kguard.io", AdmissionReviewVersions: []string{"v1"},
			ClientConfig:  admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ss.CAPEM},
			FailurePolicy: &fail, SideEffects: &none, TimeoutSeconds: &timeout,
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: []string{"shop", "lab"}}}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
			}},
		}},
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(context.Background(), vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	v := waitForEnforcement(t, c)
	if v["privileged"].allowed || !strings.Contains(v["privileged"].message, "pss-baseline-privileged") {
		t.Errorf("privileged Deployment: %+v, want denied naming pss-baseline-privileged", v["privileged"])
	}
	if !v["hardened"].allowed {
		t.Errorf("hardened Deployment denied: %s", v["hardened"].message)
	}
	if !v["audited"].allowed || len(v["audited"].warnings) == 0 || !strings.Contains(strings.Join(v["audited"].warnings, "\n"), "pss-baseline-privileged") {
		t.Errorf("audit namespace: %+v, want allowed with warnings", v["audited"])
	}
	// The API server's view: what was admitted is stored, what was denied is not.
	for name, ns := range map[string]string{"hardened": "shop", "audited": "lab"} {
		if _, err := cs.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{}); err != nil {
			t.Errorf("%s not stored: %v", name, err)
		}
	}
	if _, err := cs.AppsV1().Deployments("shop").Get(context.Background(), "privileged", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("denied Deployment was stored: %v", err)
	}
}

// waitForEnforcement retries until the API server has picked up the new
// admission configuration (it watches it asynchronously).
func waitForEnforcement(t *testing.T, c *cluster.Cluster) map[string]verdict {
	deadline := time.Now().Add(30 * time.Second)
	for {
		v := verdicts(t, c)
		if !v["privileged"].allowed || time.Now().After(deadline) {
			return v
		}
		// Not enforced yet: clean up and try again.
		cs := c.Admin()
		for name, ns := range map[string]string{"privileged": "shop", "hardened": "shop", "audited": "lab"} {
			_ = cs.AppsV1().Deployments(ns).Delete(context.Background(), name, metav1.DeleteOptions{})
		}
		time.Sleep(time.Second)
	}
}

// TestValidatingAdmissionPoliciesEndToEnd loads the exported policies into
// a real API server and requires the same verdicts for the same objects.
func TestValidatingAdmissionPoliciesEndToEnd(t *testing.T) {
	c := cluster.Start(t, cluster.Options{})
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	policies, _, err := vap.Export(reg, vap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs := c.Admin()
	setup(t, cs)
	ctx := context.Background()
	for _, p := range policies {
		if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, p.Policy, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: %v", p.Rule.ID, err)
		}
		if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, p.Binding, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s binding: %v", p.Rule.ID, err)
		}
	}
	v := waitForEnforcement(t, c)
	if v["privileged"].allowed || !strings.Contains(v["privileged"].message, "kguard ") {
		t.Errorf("privileged Deployment: %+v, want denied by a kguard policy", v["privileged"])
	}
	if !v["hardened"].allowed {
		t.Errorf("hardened Deployment denied: %s", v["hardened"].message)
	}
	if !v["audited"].allowed {
		t.Errorf("audit namespace: %+v, want allowed", v["audited"])
	}
	// Type checking by the API server found no errors in our expressions.
	for _, p := range policies {
		got, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, p.Policy.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if tc := got.Status.TypeChecking; tc != nil {
			for _, w := range tc.ExpressionWarnings {
				t.Logf("%s: type-check warning at %s: %s", p.Rule.ID, w.FieldRef, w.Warning)
			}
		}
	}
}

// TestWebhookCustomResourceEndToEnd installs an Argo Rollout CRD in a real
// API server and registers kguard's webhook, served over TLS on loopback,
// with the rules `kguard admit manifests` prints: a privileged Rollout is
// denied and not stored, a hardened one is admitted.
func TestWebhookCustomResourceEndToEnd(t *testing.T) {
	c := cluster.Start(t, cluster.Options{})
	ctx := context.Background()
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	ss, err := admission.NewSelfSigned([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ss.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &admission.Server{
		Handler:        &admission.Handler{Registry: reg, DefaultMode: admission.ModeBaseline},
		GetCertificate: admission.StaticCertificate(cert),
	}
	go func() { _ = srv.Serve(srvCtx, ln) }()

	ap, err := cluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := ap.InstallCRD(ctx, "argoproj.io", "Rollout", "rollouts", "v1alpha1"); err != nil {
		t.Fatal(err)
	}
	cs := c.Admin()
	setup(t, cs)

	// The webhook configuration of `kguard admit manifests`, pointed at
	// this server and limited to the test's namespace.
	vwc := manifestWebhook(t)
	url := fmt.Sprintf("https://%s/validate", ln.Addr())
	wh := &vwc.Webhooks[0]
	wh.ClientConfig = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ss.CAPEM}
	wh.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: []string{"shop"}}}}
	vwc.Annotations = nil
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	rollouts := dynamic.NewForConfigOrDie(c.AdminConfig()).Resource(
		schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}).Namespace("shop")
	create := func(name string, privileged bool) error {
		tmpl, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&deployment(name, "ghcr.io/acme/web:1.4.2", privileged).Spec.Template)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
			"metadata": map[string]any{"name": name},
			"spec": map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{"app": name}},
				"strategy": map[string]any{"canary": map[string]any{}},
				"template": tmpl,
			},
		}}
		_, err = rollouts.Create(ctx, u, metav1.CreateOptions{})
		return err
	}
	// The API server picks up the webhook configuration asynchronously.
	deadline := time.Now().Add(30 * time.Second)
	var denied error
	for {
		denied = create("privileged", true)
		if denied != nil || time.Now().After(deadline) {
			break
		}
		_ = rollouts.Delete(ctx, "privileged", metav1.DeleteOptions{})
		time.Sleep(time.Second)
	}
	if denied == nil || !apierrors.IsForbidden(denied) || !strings.Contains(denied.Error(), "kguard denied Rollout shop/privileged") ||
		!strings.Contains(denied.Error(), "pss-baseline-privileged") {
		t.Errorf("privileged Rollout: %v, want denied naming pss-baseline-privileged", denied)
	}
	if err := create("hardened", false); err != nil {
		t.Errorf("hardened Rollout denied: %v", err)
	}
	if _, err := rollouts.Get(ctx, "privileged", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("denied Rollout was stored: %v", err)
	}
	if _, err := rollouts.Get(ctx, "hardened", metav1.GetOptions{}); err != nil {
		t.Errorf("hardened Rollout not stored: %v", err)
	}
}

// manifestWebhook is the ValidatingWebhookConfiguration that `kguard admit
// manifests` prints; the API server accepts it as it is.
func manifestWebhook(t *testing.T) *admissionregistrationv1.ValidatingWebhookConfiguration {
	t.Helper()
	var out bytes.Buffer
	if err := admit.RunManifests(context.Background(), &admit.ManifestOptions{
		Streams: &cmdutil.Streams{Out: &out}, Namespace: "kguard-system", Image: "kguard:test", Replicas: 1, FailurePolicy: "Fail", Timeout: 5,
	}); err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.DecodeFile("manifests.yaml", out.Bytes())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, o := range objs {
		if vwc, ok := o.Typed.(*admissionregistrationv1.ValidatingWebhookConfiguration); ok {
			return vwc
		}
	}
	t.Fatal("kguard admit manifests prints no ValidatingWebhookConfiguration")
	return nil
}
