package auditcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kguard/kguard/internal/testutil/cluster"
)

func auditLine(verb, resource, ns, name, user string, code int, obj string) string {
	s := fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"%s-%s","stage":"ResponseComplete","verb":%q,`+
		`"user":{"username":%q},"sourceIPs":["10.0.0.7"],"objectRef":{"resource":%q,"namespace":%q,"name":%q},`+
		`"responseStatus":{"code":%d},"stageTimestamp":"2026-03-02T10:00:00Z"`, verb, name, verb, user, resource, ns, name, code)
	if obj != "" {
		s += `,"requestObject":` + obj
	}
	return s + "}\n"
}

func alertRules(t *testing.T, out string) map[string][]map[string]any {
	t.Helper()
	m := map[string][]map[string]any{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not JSON: %v: %s", err, l)
		}
		id, _ := rec["rule.id"].(string)
		m[id] = append(m[id], rec)
	}
	return m
}

func TestWatchFromStart(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	data := auditLine("get", "secrets", "shop", "db", "alice", 200, "") +
		"garbage\n" +
		auditLine("get", "configmaps", "shop", "cm", "alice", 200, "")
	if err := os.WriteFile(log, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := run(t, "watch", "--log", log, "--from-start")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got := alertRules(t, out)
	if len(got) != 1 || len(got["k8s-secret-read-unexpected"]) != 1 {
		t.Errorf("alerts %v", got)
	}
	if !strings.Contains(errOut, "2 events, 1 alerts, 0 suppressed, 1 lines skipped") {
		t.Errorf("summary: %s", errOut)
	}

	// An extra rules file, using the defaults' macros, and --output.
	rules := filepath.Join(dir, "extra.yaml")
	if err := os.WriteFile(rules, []byte(`- rule: shop-configmap-read
  desc: d
  condition: k8s_audit.objectRef.resource == 'configmaps' && allowed
  output: "{k8s_audit.user.username} read {k8s_audit.objectRef.name}"
  severity: low
  tags: [T1552]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	alerts := filepath.Join(dir, "alerts.json")
	out, errOut, code = run(t, "watch", "--log", log, "--from-start", "--rules", rules, "-o", alerts)
	if code != 0 || out != "" {
		t.Fatalf("exit %d: %s\nstdout: %s", code, errOut, out)
	}
	b, err := os.ReadFile(alerts)
	if err != nil {
		t.Fatal(err)
	}
	got = alertRules(t, string(b))
	if len(got["shop-configmap-read"]) != 1 || got["shop-configmap-read"][0]["message"] != "alice read cm" || len(got["k8s-secret-read-unexpected"]) != 1 {
		t.Errorf("alerts %v", got)
	}
}

func TestWatchErrors(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	os.WriteFile(log, nil, 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("- rule: x\n  desc: d\n  condition: k8s_audit.nope == 1\n  output: x\n  severity: low\n"), 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"watch"}, "--log FILE or --listen ADDR is required"},
		{[]string{"watch", "--log", filepath.Join(dir, "missing.log")}, "audit log: stat " + filepath.Join(dir, "missing.log") + ": no such file or directory"},
		{[]string{"watch", "--log", dir}, "is a directory"},
		{[]string{"watch", "--log", log, "--rules", filepath.Join(dir, "none.yaml")}, "rules: open"},
		{[]string{"watch", "--log", log, "--rules", bad}, "bad.yaml:3: rule x"},
		{[]string{"watch", "--log", log, "--rate", "-1"}, "--rate must be"},
		{[]string{"watch", "--log", log, "--metrics-addr", "256.0.0.1:x"}, "metrics:"},
	} {
		_, errOut, code := run(t, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want error containing %q", c.args, code, errOut, c.want)
		}
	}
}

// TestWatchLive runs a scripted attack against a real API server and
// checks that watching its audit log finds it.
func TestWatchLive(t *testing.T) {
	const policy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: RequestResponse
    verbs: ["create"]
    resources:
      - group: ""
        resources: ["pods"]
  # Binding rules look at roleRef in the request body.
  - level: Request
    verbs: ["create"]
    resources:
      - group: "rbac.authorization.k8s.io"
        resources: ["clusterrolebindings", "rolebindings"]
  - level: Metadata
`
	c := cluster.Start(t, cluster.Options{AuditPolicy: []byte(policy)})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := c.Admin()
	const ns, sa = "kguard-attack", "intruder"
	saUser := "system:serviceaccount:" + ns + ":" + sa
	if err := c.EnsureServiceAccount(ctx, ns, sa); err != nil {
		t.Fatal(err)
	}
	// A broad, but not cluster-admin, role for the intruder.
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-broad"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "get", "list"}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	subj := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-broad"}, Subjects: subj,
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "kguard-broad"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.ServiceAccountConfig(ctx, ns, sa)
	if err != nil {
		t.Fatal(err)
	}
	intruder := kubernetes.NewForConfigOrDie(cfg)

	// 1. The intruder lists secrets in every namespace.
	if _, err := intruder.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("list secrets: %v", err)
	}
	// 2. The admin (or a stolen admin credential) binds cluster-admin.
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-backdoor"}, Subjects: subj,
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// 3. The intruder starts a privileged pod.
	priv, no := true, false
	if _, err := intruder.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-priv"},
		Spec: corev1.PodSpec{ServiceAccountName: sa, AutomountServiceAccountToken: &no, Containers: []corev1.Container{{
			Name: "c", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: &priv},
		}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create pod: %v", err)
	}
	// 4. Probing as an anonymous user: every request is denied.
	anon := kubernetes.NewForConfigOrDie(c.ConfigFor("system:anonymous", "system:unauthenticated"))
	for i := range 25 {
		if _, err := anon.CoreV1().Secrets("kube-system").Get(ctx, fmt.Sprintf("probe-%d", i), metav1.GetOptions{}); err == nil {
			t.Fatal("anonymous get secret allowed")
		}
	}

	want := []string{"k8s-secrets-listed-cluster-wide", "k8s-secret-read-unexpected", "k8s-cluster-admin-binding",
		"k8s-privileged-pod-created", "k8s-forbidden-burst"}
	var got map[string][]map[string]any
	var out, errOut string
	deadline := time.Now().Add(15 * time.Second)
	for {
		var code int
		out, errOut, code = run(t, "watch", "--log", c.AuditLogPath(), "--from-start")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		got = alertRules(t, out)
		missing := 0
		for _, id := range want {
			if len(got[id]) == 0 {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%s", errOut)
	for id, rs := range got {
		t.Logf("%s: %d", id, len(rs))
	}
	for _, id := range want {
		if len(got[id]) == 0 {
			t.Errorf("no %s alert; got:\n%s", id, out)
		}
	}
	check := func(id, field, want string) {
		t.Helper()
		for _, r := range got[id] {
			if r[field] == want {
				return
			}
		}
		t.Errorf("no %s alert with %s=%s: %v", id, field, want, got[id])
	}
	check("k8s-secrets-listed-cluster-wide", "user.name", saUser)
	check("k8s-privileged-pod-created", "user.name", saUser)
	check("k8s-privileged-pod-created", "orchestrator.resource.name", "kguard-priv")
	check("k8s-privileged-pod-created", "kubernetes.namespace", ns)
	check("k8s-cluster-admin-binding", "orchestrator.resource.name", "kguard-backdoor")
	check("k8s-forbidden-burst", "user.effective.name", "system:anonymous")
	if len(got["k8s-forbidden-request"]) != 0 || len(got["k8s-forbidden-burst"]) != 1 {
		t.Errorf("want exactly one burst and no single-403 alerts: %v", got)
	}
	for _, r := range got["k8s-secrets-listed-cluster-wide"] {
		if ip, _ := r["source.ip"].(string); ip == "" {
			t.Errorf("no source.ip: %v", r)
		}
	}
}
