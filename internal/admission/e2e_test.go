package admission_test

import (
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
	"k8s.io/client-go/kubernetes"

	"github.com/kguard/kguard/internal/admission"
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
