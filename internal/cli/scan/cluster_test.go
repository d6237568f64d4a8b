package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunShared(m)) }

type jsonReport struct {
	Findings []struct {
		Rule     string        `json:"rule"`
		Resource inventory.Ref `json:"resource"`
		Message  string        `json:"message"`
	} `json:"findings"`
	NotEvaluated []struct {
		Subject    string `json:"subject"`
		Permission string `json:"permission"`
	} `json:"notEvaluated"`
	Summary struct {
		Partial bool `json:"partial"`
	} `json:"summary"`
}

// runScan runs `kguard scan` with every rule, in memory.
func runScan(t *testing.T, o *Options) (jsonReport, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	o.Streams = &cmdutil.Streams{Out: &out, ErrOut: &errOut}
	o.Registry = all.Registry
	o.Report.Output, o.Report.FailOn = "json", "none"
	err := Run(context.Background(), o)
	var rep jsonReport
	if out.Len() > 0 {
		if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
			t.Fatalf("report is not JSON: %v\n%s", jerr, out.String())
		}
	}
	if err != nil {
		if ee, ok := err.(*cmdutil.ExitError); !ok || ee.Err != nil {
			errOut.WriteString(err.Error())
		}
	}
	return rep, errOut.String(), cmdutil.CodeOf(err)
}

func key(rule string, r inventory.Ref) string {
	ns := r.Namespace
	if ns == "" && r.Kind == "Pod" {
		ns = "default"
	}
	return rule + " " + r.Kind + " " + ns + "/" + r.Name
}

// namespaceOf is the namespace an object lives in, or names.
func namespaceOf(r inventory.Ref) string {
	switch {
	case r.Kind == "Namespace":
		return r.Name
	case r.Namespace == "":
		return "default"
	}
	return r.Namespace
}

// TestClusterScanMatchesFileScan applies the bundled example to a real API
// server and requires `scan --cluster` to report the same (rule, resource)
// pairs as scanning the files, for every object the server accepted.
func TestClusterScanMatchesFileScan(t *testing.T) {
	c := cluster.Shared(t)
	ctx := context.Background()
	res, err := inventory.Load(ctx, []string{"../../../examples"}, inventory.LoadOptions{})
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("load examples: %v %v", err, res.Errors)
	}
	// Namespaces first, and the default service accounts a controller
	// manager would create (the ServiceAccount admission plugin needs them
	// for bare Pods).
	objs := res.Inventory.Objects()
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].Kind == "Namespace" && objs[j].Kind != "Namespace" })
	for _, ns := range res.Inventory.Namespaces() {
		if err := c.EnsureServiceAccount(ctx, ns, "default"); err != nil {
			t.Fatal(err)
		}
	}
	ap, err := cluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	applied, skipped, err := ap.Apply(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range skipped {
		t.Logf("not served by the API server, left out of the comparison: %s %s", o.APIVersion, o.Ref)
	}
	inCluster := map[string]bool{}
	for _, o := range applied {
		inCluster[key("", o.Ref)] = true
	}

	files, _, code := runScan(t, &Options{Input: cmdutil.Input{Args: []string{"../../../examples"}}})
	if code != 0 {
		t.Fatalf("file scan exit %d", code)
	}
	live, stderr, code := runScan(t, &Options{Input: cmdutil.Input{Cluster: true, RESTConfig: c.AdminConfig()}})
	if code != 0 {
		t.Fatalf("cluster scan exit %d: %s", code, stderr)
	}
	appliedNS := map[string]bool{}
	for _, o := range applied {
		appliedNS[namespaceOf(o.Ref)] = true
	}
	// A per-namespace finding sits on the Namespace object when it was
	// loaded, else on the namespace's first workload: the cluster has
	// Namespace objects (default, for one) that the files do not, so
	// these are compared by namespace.
	findingKey := func(rule string, ref inventory.Ref) (string, bool) {
		if rule == "namespace-without-resource-limits" {
			ns := namespaceOf(ref)
			return rule + " namespace " + ns, appliedNS[ns]
		}
		return key(rule, ref), inCluster[key("", ref)]
	}
	want, got := map[string]bool{}, map[string]bool{}
	for _, f := range files.Findings {
		if k, ok := findingKey(f.Rule, f.Resource); ok {
			want[k] = true
		}
	}
	for _, f := range live.Findings {
		if k, ok := findingKey(f.Rule, f.Resource); ok {
			got[k] = true
		}
	}
	if len(want) == 0 {
		t.Fatal("the file scan found nothing to compare")
	}
	for k := range want {
		if !got[k] {
			t.Errorf("file finding missing from the cluster scan: %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("cluster finding not in the file scan: %s", k)
		}
	}
	t.Logf("compared %d findings over %d objects", len(want), len(applied))
}

// TestRestrictedIdentityIsPartial: an identity that may list only some
// kinds gets "not evaluated" entries naming the missing permission, a
// partial summary, and exit 2 unless --allow-partial.
func TestRestrictedIdentityIsPartial(t *testing.T) {
	c := cluster.Shared(t)
	ctx := context.Background()
	if err := c.EnsureServiceAccount(ctx, "kguard-test", "limited"); err != nil {
		t.Fatal(err)
	}
	cr := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-test-limited"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"", "apps"}, Resources: []string{"namespaces", "pods", "deployments"}, Verbs: []string{"list"}}},
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kguard-test-limited"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "limited", Namespace: "kguard-test"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: cr.Name},
	}
	if _, err := c.Admin().RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Admin().RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.ServiceAccountConfig(ctx, "kguard-test", "limited")
	if err != nil {
		t.Fatal(err)
	}
	check := func(allowPartial bool, wantCode int) {
		rep, stderr, code := runScan(t, &Options{Input: cmdutil.Input{Cluster: true, RESTConfig: rest.CopyConfig(cfg), AllowPartial: allowPartial}})
		if code != wantCode {
			t.Fatalf("allow-partial=%v: exit %d, want %d; stderr %s", allowPartial, code, wantCode, stderr)
		}
		if !rep.Summary.Partial {
			t.Error("summary must say the scan was partial")
		}
		perms := map[string]string{}
		for _, ne := range rep.NotEvaluated {
			perms[ne.Subject] = ne.Permission
		}
		if perms["secrets"] != "list secrets cluster-wide" || perms["roles.rbac.authorization.k8s.io"] != "list roles.rbac.authorization.k8s.io cluster-wide" {
			t.Errorf("not-evaluated entries lack the missing permissions: %v", perms)
		}
		if _, ok := perms["pods"]; ok {
			t.Error("pods were readable and must not be reported as not evaluated")
		}
		if !allowPartial && !strings.Contains(stderr, "the scan was partial") {
			t.Errorf("stderr should say the scan was partial: %q", stderr)
		}
	}
	check(false, 2)
	check(true, 0)
}
