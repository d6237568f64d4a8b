package cluster

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestHarness(t *testing.T) {
	c := Start(t, Options{AuditPolicy: []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n")})
	ctx := context.Background()
	admin := c.Admin()

	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "h"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ConfigMaps("h").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// RBAC is on: a user with no grants is refused.
	nobody := kubernetes.NewForConfigOrDie(c.ConfigFor("nobody"))
	if _, err := nobody.CoreV1().Pods("h").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("unauthorized list: want 403, got %v", err)
	}

	// SubjectAccessReview answers.
	sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: "nobody", ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "h", Verb: "get", Resource: "configmaps"},
	}}, metav1.CreateOptions{})
	if err != nil || sar.Status.Allowed {
		t.Fatalf("SAR for nobody: %v %+v", err, sar.Status)
	}

	// A real service-account token authenticates as that account.
	if err := c.EnsureServiceAccount(ctx, "h", "robot"); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.ServiceAccountConfig(ctx, "h", "robot")
	if err != nil {
		t.Fatal(err)
	}
	_, err = kubernetes.NewForConfigOrDie(cfg).CoreV1().ConfigMaps("h").Get(ctx, "cm", metav1.GetOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "system:serviceaccount:h:robot") {
		t.Fatalf("token should authenticate as the SA (and be refused): %v", err)
	}

	// The audit log records requests.
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(c.AuditLogPath())
		if strings.Contains(string(data), `"resource":"configmaps"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit log has no configmaps event:\n%.2000s", data)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Stop leaves no process behind.
	pids := c.Pids()
	c.Stop()
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("process %d still running after Stop", pid)
		}
	}
}
