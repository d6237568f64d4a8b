package cluster

import (
	"context"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
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

// TestControllerManager: the real kube-controller-manager aggregates
// ClusterRoles (a new role labelled aggregate-to-view reaches view, and
// through view edit and admin) as its own service account, and type-checks
// ValidatingAdmissionPolicies.
func TestControllerManager(t *testing.T) {
	c := Start(t, Options{ControllerManager: true})
	ctx := context.Background()
	admin := c.Admin()
	_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets-view", Labels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"example.com"}, Resources: []string{"widgets"}, Verbs: []string{"get"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hasWidgets := func(name string) bool {
		cr, err := admin.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range cr.Rules {
			if len(r.Resources) == 1 && r.Resources[0] == "widgets" {
				return true
			}
		}
		return false
	}
	waitFor(t, 60*time.Second, "widgets rule in view, edit and admin", func() bool {
		return hasWidgets("view") && hasWidgets("edit") && hasWidgets("admin")
	})
	// The controllers act as their own service accounts.
	if _, err := admin.CoreV1().ServiceAccounts("kube-system").Get(ctx, "clusterrole-aggregation-controller", metav1.GetOptions{}); err != nil {
		t.Errorf("the aggregation controller's service account: %v", err)
	}

	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "typo"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"}, Resources: []string{"deployments"}},
				},
			}}},
			Validations: []admissionregistrationv1.Validation{{Expression: "object.spec.replicaz > 0"}},
		},
	}
	if _, err := admin.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "type checking of the policy", func() bool {
		p, err := admin.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, "typo", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tc := p.Status.TypeChecking
		return tc != nil && len(tc.ExpressionWarnings) > 0 && strings.Contains(tc.ExpressionWarnings[0].Warning, "replicaz")
	})
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
