package rbaccmd

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

const tightenAuditLog = "../../rbac/testdata/audit-basic.jsonl"

// tightenBroadRBAC grants the service account shop/web far more than the
// audit log shows it used.
const tightenBroadRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: broad, namespace: shop}
rules:
- apiGroups: [""]
  resources: [configmaps, secrets]
  verbs: [get, list, watch, create, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: broad, namespace: shop}
subjects: [{kind: ServiceAccount, name: web}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: broad}
`

// runTighten runs `kguard rbac tighten ARGS` in memory.
func runTighten(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &cmdutil.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}
	cmd := NewCmd(s)
	cmd.SetArgs(append([]string{"tighten"}, args...))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if err != nil {
		errOut.WriteString("error: " + err.Error())
	}
	return out.String(), errOut.String(), cmdutil.CodeOf(err)
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type tightenResult struct {
	AuditLogs []struct {
		File         string `json:"file"`
		Skipped      int    `json:"skipped"`
		FirstSkipped *struct {
			Line   int    `json:"line"`
			Reason string `json:"reason"`
		} `json:"firstSkipped"`
	} `json:"auditLogs"`
	Subjects []struct {
		Subject   string            `json:"subject"`
		Requests  int               `json:"requests"`
		Used      []string          `json:"used"`
		Manifests []json.RawMessage `json:"manifests"`
		Unused    *[]struct {
			Binding         refJSON  `json:"binding"`
			Role            refJSON  `json:"role"`
			EntirelyUnused  bool     `json:"entirelyUnused"`
			UnusedVerbs     []string `json:"unusedVerbs"`
			UnusedResources []string `json:"unusedResources"`
			UnusedPairs     []string `json:"unusedPairs"`
		} `json:"unused"`
	} `json:"subjects"`
}

func decodeTighten(t *testing.T, out string) tightenResult {
	t.Helper()
	var r tightenResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	return r
}

// tightenObjects decodes the YAML output as kguard decodes manifests.
func tightenObjects(t *testing.T, out string) []*inventory.Object {
	t.Helper()
	objs, errs := inventory.DecodeFile("tighten.yaml", []byte(out))
	if len(errs) > 0 {
		t.Fatalf("output is not valid manifests: %v\n%s", errs, out)
	}
	return objs
}

// TestTightenFromFiles: the YAML output starts with the unused
// permissions as comments, then the ClusterRole, Role and bindings in a
// fixed order; -o json carries the same and the skipped-line summary.
func TestTightenFromFiles(t *testing.T) {
	model := writeTemp(t, "rbac.yaml", tightenBroadRBAC)
	out, errOut, code := runTighten(t, "--audit-log", tightenAuditLog, "--subject", "serviceaccount:shop:web", "-f", model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "2 lines skipped (first at "+tightenAuditLog+":8: not JSON") {
		t.Errorf("no skipped-line warning with file and line: %q", errOut)
	}
	head, _, _ := strings.Cut(out, "---\n")
	for _, want := range []string{
		"# ServiceAccount shop/web: 12 allowed requests",
		"#   - RoleBinding shop/broad -> Role shop/broad (namespace shop): get,list,watch,create,delete configmaps,secrets",
		"#       unused verbs: delete\n",
		"#       unused resources: secrets\n",
		"2 lines skipped (first at " + tightenAuditLog + ":8:",
	} {
		if !strings.Contains(head, want) {
			t.Errorf("header lacks %q:\n%s", want, head)
		}
	}
	var kinds []string
	for _, o := range tightenObjects(t, out) {
		kinds = append(kinds, o.Kind+" "+o.Namespace+"/"+o.Name)
	}
	want := []string{
		"ClusterRole /kguard-tightened-sa:shop:web", "ClusterRoleBinding /kguard-tightened-sa:shop:web",
		"Role shop/kguard-tightened-web", "RoleBinding shop/kguard-tightened-web",
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("objects %q, want %q", kinds, want)
	}
	again, _, _ := runTighten(t, "--audit-log", tightenAuditLog, "--subject", "serviceaccount:shop:web", "-f", model)
	if again != out {
		t.Error("output differs between two runs")
	}

	out, errOut, code = runTighten(t, "--audit-log", tightenAuditLog, "--subject", "system:serviceaccount:shop:web", "-f", model, "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := decodeTighten(t, out)
	if len(r.AuditLogs) != 1 || r.AuditLogs[0].Skipped != 2 || r.AuditLogs[0].FirstSkipped == nil || r.AuditLogs[0].FirstSkipped.Line != 8 {
		t.Errorf("audit log summary %+v", r.AuditLogs)
	}
	if len(r.Subjects) != 1 || r.Subjects[0].Subject != "ServiceAccount shop/web" || len(r.Subjects[0].Manifests) != 4 || r.Subjects[0].Unused == nil {
		t.Fatalf("subjects %+v", r.Subjects)
	}
	u := *r.Subjects[0].Unused
	if len(u) != 1 || u[0].Role.Name != "broad" || !reflect.DeepEqual(u[0].UnusedVerbs, []string{"delete"}) ||
		!reflect.DeepEqual(u[0].UnusedResources, []string{"secrets"}) || u[0].EntirelyUnused {
		t.Errorf("unused %+v", u)
	}

	// Without RBAC input: every subject, no diff.
	out, _, code = runTighten(t, "--audit-log", tightenAuditLog, "-o", "json")
	r = decodeTighten(t, out)
	if code != 0 || len(r.Subjects) != 2 || r.Subjects[0].Unused != nil || r.Subjects[1].Subject != "User alice" {
		t.Errorf("exit %d subjects %+v", code, r.Subjects)
	}
}

// TestTightenGzip reads a compressed, rotated log.
func TestTightenGzip(t *testing.T) {
	data, err := os.ReadFile(tightenAuditLog)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	gz := writeTemp(t, "audit-1.log.gz", buf.String())
	plain, _, _ := runTighten(t, "--audit-log", tightenAuditLog, "--subject", "user:alice")
	out, errOut, code := runTighten(t, "--audit-log", gz, "--subject", "user:alice")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, plainObjs, _ := strings.Cut(plain, "\n---\n")
	_, gzObjs, _ := strings.Cut(out, "\n---\n")
	if plainObjs == "" || plainObjs != gzObjs {
		t.Errorf("gzip output differs:\n%s\n%s", plain, out)
	}
}

func TestTightenErrors(t *testing.T) {
	garbage := writeTemp(t, "garbage.log", "Jun  1 12:00:00 not json\n{\"a\":1}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no audit log: give --audit-log"},
		{[]string{"--audit-log", "/nonexistent/audit.log"}, "/nonexistent/audit.log: no such file or directory"},
		{[]string{"--audit-log", t.TempDir()}, "is a directory"},
		{[]string{"--audit-log", garbage}, garbage + ": no audit events"},
		{[]string{"--audit-log", garbage}, "first bad line at " + garbage + ":1: not JSON"},
		{[]string{"--audit-log", tightenAuditLog, "--subject", "serviceaccount:shop"}, `subject "serviceaccount:shop"`},
		{[]string{"--audit-log", tightenAuditLog, "-o", "table"}, `unknown output format "table"`},
		{[]string{"--audit-log", tightenAuditLog, "-f", "x", "--cluster"}, "--cluster reads the live cluster: give no paths"},
		{[]string{"--audit-log", tightenAuditLog + ".gz"}, "no such file"},
	} {
		_, errOut, code := runTighten(t, tc.args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
	// A subject that never called the API needs nothing; everything it
	// holds is unused.
	model := writeTemp(t, "rbac.yaml", tightenBroadRBAC+`---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: idle, namespace: shop}
subjects: [{kind: ServiceAccount, name: idle}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: broad}
`)
	out, errOut, code := runTighten(t, "--audit-log", tightenAuditLog, "--subject", "serviceaccount:shop:idle", "-f", model)
	if code != 0 || strings.Contains(out, "\n---\n") || !strings.Contains(out, "it made no request") || !strings.Contains(out, "entirely unused") {
		t.Errorf("idle subject: exit %d %s\n%s", code, errOut, out)
	}
}

// tightenAuditPolicy logs every request at Metadata level: user, verb,
// objectRef and response code, no bodies.
const tightenAuditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
`

// TestTightenInCluster is the proof on a real API server with an audit
// log: a service account bound to a broad Role lists, gets and creates
// config maps (and is refused a list of pods); tighten, reading the log and the live RBAC, generates a
// Role with exactly that and reports secrets and delete unused. With the
// generated Role and RoleBinding applied and the broad binding removed,
// the service account can still do all it did, and no more.
func TestTightenInCluster(t *testing.T) {
	c := cluster.Start(t, cluster.Options{AuditPolicy: []byte(tightenAuditPolicy)})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const ns, sa = "tighten", "app"
	if err := c.EnsureServiceAccount(ctx, ns, sa); err != nil {
		t.Fatal(err)
	}
	admin := c.Admin()
	broad := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "broad", Namespace: ns}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"configmaps", "secrets"},
		Verbs: []string{"get", "list", "watch", "create", "delete"},
	}}}
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, broad, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "broad", Namespace: ns},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "broad"}}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "app-config"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.ServiceAccountConfig(ctx, ns, sa)
	if err != nil {
		t.Fatal(err)
	}
	app := kubernetes.NewForConfigOrDie(cfg)
	cms := app.CoreV1().ConfigMaps(ns)

	// What the application does. The first lists may be refused while
	// the authorizer learns of the binding: those 403s must not count.
	eventually(t, "list configmaps", func() error { _, err := cms.List(ctx, metav1.ListOptions{}); return err })
	if _, err := cms.Get(ctx, "app-config", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "made-by-app"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A request the role does not allow is refused and must not count.
	if _, err := app.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("list pods: %v, want forbidden", err)
	}
	// The audit event of a request is written as it completes, possibly
	// just after the client has its answer.
	user := "system:serviceaccount:" + ns + ":" + sa
	waitForAuditEvent(t, c.AuditLogPath(), user, "create", "configmaps")
	waitForAuditEvent(t, c.AuditLogPath(), user, "list", "pods")

	kubeconfig := c.WriteKubeconfig(t, c.AdminConfig())
	args := []string{"--audit-log", c.AuditLogPath(), "--subject", "serviceaccount:" + ns + ":" + sa, "--cluster", "--kubeconfig", kubeconfig}
	out, errOut, code := runTighten(t, append(args, "-o", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := decodeTighten(t, out)
	if len(r.Subjects) != 1 || r.Subjects[0].Unused == nil {
		t.Fatalf("subjects: %s", out)
	}
	if want := []string{"create configmaps in tighten", "get configmaps in tighten named app-config", "list configmaps in tighten"}; !reflect.DeepEqual(r.Subjects[0].Used, want) {
		t.Errorf("used %q, want %q", r.Subjects[0].Used, want)
	}
	unused := *r.Subjects[0].Unused
	if len(unused) != 1 || unused[0].Binding.Name != "broad" || unused[0].EntirelyUnused ||
		!reflect.DeepEqual(unused[0].UnusedVerbs, []string{"watch", "delete"}) ||
		!reflect.DeepEqual(unused[0].UnusedResources, []string{"secrets"}) || len(unused[0].UnusedPairs) != 0 {
		t.Errorf("unused: %+v", unused)
	}

	out, errOut, code = runTighten(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	t.Logf("kguard rbac tighten output:\n%s", out)
	objs := tightenObjects(t, out)
	if len(objs) != 2 || objs[0].Kind != "Role" || objs[1].Kind != "RoleBinding" {
		t.Fatalf("want a Role and a RoleBinding, got:\n%s", out)
	}
	role := objs[0].Typed.(*rbacv1.Role)
	wantRules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"create", "list"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}, ResourceNames: []string{"app-config"}},
	}
	if role.Namespace != ns || role.Name != "kguard-tightened-app" || !reflect.DeepEqual(role.Rules, wantRules) {
		t.Errorf("role %s/%s rules %+v, want %+v", role.Namespace, role.Name, role.Rules, wantRules)
	}

	// Replace the broad binding with the generated RBAC.
	ap, err := cluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ap.Apply(ctx, objs); err != nil {
		t.Fatalf("the API server refused the generated RBAC: %v", err)
	}
	if err := admin.RbacV1().RoleBindings(ns).Delete(ctx, "broad", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Deleting a config map that does not exist answers 404 when allowed
	// and 403 when not: once it is 403, the broad binding is gone.
	eventually(t, "delete refused", func() error {
		err := cms.Delete(ctx, "no-such-configmap", metav1.DeleteOptions{})
		if apierrors.IsForbidden(err) {
			return nil
		}
		return fmt.Errorf("delete answered %v, want forbidden", err)
	})
	eventually(t, "list configmaps", func() error { _, err := cms.List(ctx, metav1.ListOptions{}); return err })
	if _, err := cms.Get(ctx, "app-config", metav1.GetOptions{}); err != nil {
		t.Errorf("get app-config with the tightened role: %v", err)
	}
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "made-by-app-2"}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("create with the tightened role: %v", err)
	}
	for what, err := range map[string]error{
		"delete app-config": cms.Delete(ctx, "app-config", metav1.DeleteOptions{}),
		"get made-by-app":   getErr(cms.Get(ctx, "made-by-app", metav1.GetOptions{})),
		"watch configmaps":  getErr(cms.Watch(ctx, metav1.ListOptions{})),
		"list secrets":      getErr(app.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{})),
		"get secret":        getErr(app.CoreV1().Secrets(ns).Get(ctx, "any", metav1.GetOptions{})),
	} {
		if !apierrors.IsForbidden(err) {
			t.Errorf("%s with the tightened role: %v, want forbidden", what, err)
		}
	}
}

func getErr[T any](_ T, err error) error { return err }

// eventually retries f for a while, as RBAC changes reach the authorizer
// a moment after they are written.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForAuditEvent waits until the log holds the ResponseComplete event
// of user's verb on resource.
func waitForAuditEvent(t *testing.T, path, user, verb, resource string) {
	t.Helper()
	if path == "" {
		t.Fatal("the cluster has no audit log")
	}
	eventually(t, "audit event of "+verb+" "+resource, func() error {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var ev struct {
				Stage     string `json:"stage"`
				Verb      string `json:"verb"`
				User      struct{ Username string }
				ObjectRef struct{ Resource string }
			}
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Stage == "ResponseComplete" && ev.Verb == verb &&
				ev.User.Username == user && ev.ObjectRef.Resource == resource {
				return nil
			}
		}
		return fmt.Errorf("not yet in %s", path)
	})
}
