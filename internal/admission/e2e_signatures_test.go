package admission_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/admission"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

// TestWebhookSignaturesEndToEnd: a real API server calls kguard's webhook
// over TLS; in namespace "secure", which requires signatures, a Deployment
// of an unsigned image is denied and one of the image signed in the test
// is stored; in "shop" the unsigned image is admitted.
func TestWebhookSignaturesEndToEnd(t *testing.T) {
	_, signed, unsigned, sigs := signedRegistry(t)
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
		Handler:        &admission.Handler{Registry: reg, DefaultMode: admission.ModeBaseline, Signatures: sigs},
		GetCertificate: admission.StaticCertificate(cert),
	}
	go func() { _ = srv.Serve(ctx, ln) }()

	cs := c.Admin()
	for _, ns := range []string{"secure", "shop"} {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	url := fmt.Sprintf("https://%s/validate", ln.Addr())
	fail, none := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone
	timeout := int32(10)
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-signatures"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: "validate.kguard.io", AdmissionReviewVersions: []string{"v1"},
			ClientConfig:  admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: ss.CAPEM},
			FailurePolicy: &fail, SideEffects: &none, TimeoutSeconds: &timeout,
			NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: []string{"secure", "shop"}}}},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
			}},
		}},
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create := func(ns, name, image string) error {
		_, err := cs.AppsV1().Deployments(ns).Create(ctx, deployment(name, image, false), metav1.CreateOptions{})
		return err
	}
	// The API server picks the configuration up asynchronously.
	deadline := time.Now().Add(30 * time.Second)
	var denied error
	for {
		denied = create("secure", "unsigned", unsigned)
		if denied != nil || time.Now().After(deadline) {
			break
		}
		_ = cs.AppsV1().Deployments("secure").Delete(ctx, "unsigned", metav1.DeleteOptions{})
		time.Sleep(time.Second)
	}
	if !apierrors.IsForbidden(denied) || !strings.Contains(denied.Error(), "image-signature-invalid") || !strings.Contains(denied.Error(), unsigned) {
		t.Errorf("unsigned image in secure: %v, want denied naming the image", denied)
	}
	if err := create("secure", "signed", signed); err != nil {
		t.Errorf("signed image in secure: %v", err)
	}
	if err := create("shop", "unsigned", unsigned); err != nil {
		t.Errorf("unsigned image in shop: %v", err)
	}
	if _, err := cs.AppsV1().Deployments("secure").Get(ctx, "unsigned", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("denied Deployment was stored: %v", err)
	}
}
