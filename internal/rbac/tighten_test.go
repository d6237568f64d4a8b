package rbac

import (
	"os"
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/inventory"
)

func readAudit(t *testing.T, filter *User, files ...string) *AuditUsage {
	t.Helper()
	a := NewAuditUsage(filter)
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		err = a.Read(fh, f)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func subject(t *testing.T, a *AuditUsage, name string) *SubjectUsage {
	t.Helper()
	for _, s := range a.Subjects() {
		if s.String() == name {
			return s
		}
	}
	t.Fatalf("no subject %s in %v", name, a.Subjects())
	return nil
}

func rule(group, resource string, verbs string, names ...string) rbacv1.PolicyRule {
	r := rbacv1.PolicyRule{APIGroups: []string{group}, Resources: []string{resource}, Verbs: strings.Split(verbs, ",")}
	if len(names) > 0 {
		r.ResourceNames = names
	}
	return r
}

func checkRules(t *testing.T, what string, got, want []rbacv1.PolicyRule) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		var g, w []string
		for _, r := range got {
			g = append(g, DescribeRule(r))
		}
		for _, r := range want {
			w = append(w, DescribeRule(r))
		}
		t.Errorf("%s rules:\n got  %q\n want %q", what, g, w)
	}
}

// TestReadAudit counts lines, events and requests of a hand-written log:
// one request logged at three stages counts once, a malformed line and a
// JSON line that is no event are skipped with the first line number, the
// 403 and the 500 are not allowed, the superuser is not recorded.
func TestReadAudit(t *testing.T) {
	a := readAudit(t, nil, "testdata/audit-basic.jsonl")
	f := a.Files[0]
	if f.Lines != 21 || f.Events != 18 || f.Skipped != 2 || f.Requests != 15 || f.Denied != 2 || a.Superusers != 1 {
		t.Errorf("lines %d events %d skipped %d requests %d denied %d superusers %d, want 21 18 2 15 2 1",
			f.Lines, f.Events, f.Skipped, f.Requests, f.Denied, a.Superusers)
	}
	if fs := f.FirstSkipped; fs == nil || fs.Line != 8 || fs.File != "testdata/audit-basic.jsonl" || !strings.HasPrefix(fs.Reason, "not JSON") {
		t.Errorf("first skipped = %v, want line 8 not JSON", fs)
	}
	var names []string
	for _, s := range a.Subjects() {
		names = append(names, s.String())
	}
	if want := []string{"ServiceAccount shop/web", "User alice"}; !reflect.DeepEqual(names, want) {
		t.Errorf("subjects %q, want %q", names, want)
	}
	web := subject(t, a, "ServiceAccount shop/web")
	if web.Requests != 12 {
		t.Errorf("web requests = %d, want 12", web.Requests)
	}
	want := []string{
		"list namespaces",
		"get /healthz",
		"create configmaps in shop",
		"get configmaps in shop named app-config,other-cm",
		"list configmaps in shop",
		"watch configmaps in shop",
		"get endpoints in shop named api",
		"list pods in shop",
		"get services in shop named api",
		"patch deployments/scale.apps in shop named web",
	}
	if got := web.Used(); !reflect.DeepEqual(got, want) {
		t.Errorf("used:\n got  %q\n want %q", got, want)
	}
	alice := subject(t, a, "User alice")
	if !reflect.DeepEqual(alice.User.Groups, []string{"developers", "system:authenticated"}) {
		t.Errorf("alice groups = %q", alice.User.Groups)
	}
}

// TestTightenRules checks the generated objects by hand: a Role in shop
// with names kept for get/patch/services and none for list, watch and
// create, and a ClusterRole for the cluster-scoped list and the URL.
func TestTightenRules(t *testing.T) {
	a := readAudit(t, nil, "testdata/audit-basic.jsonl")
	tt := Tighten(subject(t, a, "ServiceAccount shop/web"), nil)
	if len(tt.Roles) != 1 || len(tt.RoleBindings) != 1 || tt.ClusterRole == nil || tt.ClusterRoleBinding == nil {
		t.Fatalf("roles %d bindings %d cluster role %v", len(tt.Roles), len(tt.RoleBindings), tt.ClusterRole)
	}
	r, rb := tt.Roles[0], tt.RoleBindings[0]
	if r.Namespace != "shop" || r.Name != "kguard-tightened-web" || rb.Namespace != "shop" || rb.Name != r.Name {
		t.Errorf("role %s/%s binding %s/%s", r.Namespace, r.Name, rb.Namespace, rb.Name)
	}
	checkRules(t, "role", r.Rules, []rbacv1.PolicyRule{
		rule("", "configmaps", "create,list,watch"),
		rule("", "configmaps", "get", "app-config", "other-cm"),
		rule("", "endpoints", "get", "api"),
		rule("", "pods", "list"),
		rule("", "services", "get", "api"),
		rule("apps", "deployments/scale", "patch", "web"),
	})
	wantSubj := []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "shop", Name: "web"}}
	if !reflect.DeepEqual(rb.Subjects, wantSubj) || rb.RoleRef != (rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: r.Name}) {
		t.Errorf("binding subjects %+v ref %+v", rb.Subjects, rb.RoleRef)
	}
	cr, crb := tt.ClusterRole, tt.ClusterRoleBinding
	if cr.Name != "kguard-tightened-sa:shop:web" || crb.Name != cr.Name || crb.RoleRef.Kind != "ClusterRole" || !reflect.DeepEqual(crb.Subjects, wantSubj) {
		t.Errorf("cluster role %s binding %s %+v %+v", cr.Name, crb.Name, crb.RoleRef, crb.Subjects)
	}
	checkRules(t, "cluster role", cr.Rules, []rbacv1.PolicyRule{
		rule("", "namespaces", "list"),
		{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz"}},
	})
	if objs := tt.Objects(); len(objs) != 4 || objs[0] != any(cr) || objs[3] != any(rb) {
		t.Errorf("objects out of order: %v", objs)
	}
	if tt.HasModel || tt.Unused != nil {
		t.Error("unused computed without a model")
	}

	// Every generated rule allows what was used, and nothing else of it.
	web := subject(t, a, "ServiceAccount shop/web")
	for k, u := range web.uses {
		rules := r.Rules
		if k.Namespace == "" {
			rules = cr.Rules
		}
		names := append([]string{}, u.names...)
		if u.nameless || len(names) == 0 {
			names = append(names, "")
		}
		for _, n := range names {
			req := k.request(n)
			if !allowsAny(rules, &req) {
				t.Errorf("generated rules do not allow %s", req)
			}
		}
	}
	for _, req := range []Request{
		{Verb: "delete", Resource: "configmaps", Namespace: "shop", Name: "app-config"},
		{Verb: "get", Resource: "configmaps", Namespace: "shop", Name: "third"},
		{Verb: "get", Resource: "secrets", Namespace: "shop", Name: "db-password"}, // the 403
		{Verb: "get", Resource: "endpoints", Namespace: "shop", Name: "other"},     // the 500
		{Verb: "patch", APIGroup: "apps", Resource: "deployments", Namespace: "shop", Name: "web"},
	} {
		if allowsAny(r.Rules, &req) {
			t.Errorf("generated rules allow %s, never used", req)
		}
	}
}

func allowsAny(rules []rbacv1.PolicyRule, req *Request) bool {
	for i := range rules {
		if Allows(&rules[i], req) {
			return true
		}
	}
	return false
}

// TestTightenNames: get on six pods is too many for resourceNames; delete
// on two and patch on one keep them; the 403 and the missing final
// newline change nothing.
func TestTightenNames(t *testing.T) {
	a := readAudit(t, nil, "testdata/audit-many.jsonl")
	if f := a.Files[0]; f.Lines != 11 || f.Events != 11 || f.Skipped != 0 || f.Denied != 1 {
		t.Errorf("lines %d events %d skipped %d denied %d", f.Lines, f.Events, f.Skipped, f.Denied)
	}
	bob := subject(t, a, "User bob")
	tt := Tighten(bob, nil)
	if len(tt.Roles) != 1 || tt.ClusterRole != nil {
		t.Fatalf("roles %d cluster role %v", len(tt.Roles), tt.ClusterRole)
	}
	if tt.Roles[0].Name != "kguard-tightened-user:bob" || tt.Roles[0].Namespace != "default" {
		t.Errorf("role %s/%s", tt.Roles[0].Namespace, tt.Roles[0].Name)
	}
	checkRules(t, "role", tt.Roles[0].Rules, []rbacv1.PolicyRule{
		rule("", "pods", "get"),
		rule("", "pods", "patch", "p1"),
		rule("", "pods", "delete", "p1", "p2"),
	})
	want := []rbacv1.Subject{{Kind: "User", APIGroup: rbacv1.GroupName, Name: "bob"}}
	if !reflect.DeepEqual(tt.RoleBindings[0].Subjects, want) {
		t.Errorf("subjects %+v", tt.RoleBindings[0].Subjects)
	}
}

// TestAuditFilter: a service account filter records only it; a group
// filter records its members as the group; a subject that made no
// request is still there, with nothing to grant.
func TestAuditFilter(t *testing.T) {
	sa := ForServiceAccount("shop", "web")
	a := readAudit(t, &sa, "testdata/audit-basic.jsonl", "testdata/audit-many.jsonl")
	if subs := a.Subjects(); len(subs) != 1 || subs[0].Requests != 12 || a.Superusers != 0 {
		t.Errorf("subjects %v superusers %d", subs, a.Superusers)
	}
	g, _ := ParseSubject("group:developers")
	a = readAudit(t, &g, "testdata/audit-basic.jsonl", "testdata/audit-many.jsonl")
	s := subject(t, a, "Group developers")
	tt := Tighten(s, nil)
	if s.Requests != 1 || len(tt.Roles) != 1 || tt.Roles[0].Name != "kguard-tightened-group:developers" {
		t.Fatalf("requests %d roles %v", s.Requests, tt.Roles)
	}
	checkRules(t, "group role", tt.Roles[0].Rules, []rbacv1.PolicyRule{rule("", "pods", "get", "p1")})
	if tt.RoleBindings[0].Subjects[0].Kind != "Group" {
		t.Errorf("binding subject %+v", tt.RoleBindings[0].Subjects)
	}
	idle := ForServiceAccount("shop", "idle")
	a = readAudit(t, &idle, "testdata/audit-basic.jsonl")
	s = subject(t, a, "ServiceAccount shop/idle")
	if tt := Tighten(s, nil); s.Requests != 0 || len(tt.Objects()) != 0 {
		t.Errorf("idle: requests %d objects %d", s.Requests, len(tt.Objects()))
	}
}

// TestAuditLongLine: a line longer than the limit (and than the reader's
// buffer) is skipped and counted; the next line is read.
func TestAuditLongLine(t *testing.T) {
	data, err := os.ReadFile("testdata/audit-many.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	log := `{"kind":"Event","requestObject":"` + strings.Repeat("x", 200<<10) + `"}` + "\n" + first + "\n"
	a := NewAuditUsage(nil)
	a.MaxLine = 4096
	if err := a.Read(strings.NewReader(log), "big.log"); err != nil {
		t.Fatal(err)
	}
	f := a.Files[0]
	if f.Lines != 2 || f.Events != 1 || f.Skipped != 1 || f.FirstSkipped.Line != 1 || !strings.Contains(f.FirstSkipped.Reason, "longer than 4096") {
		t.Errorf("lines %d events %d skipped %d first %v", f.Lines, f.Events, f.Skipped, f.FirstSkipped)
	}
	if got := subject(t, a, "User bob").Used(); !reflect.DeepEqual(got, []string{"get pods in default named p1"}) {
		t.Errorf("used %q", got)
	}
}

const tightenModel = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: broad, namespace: shop}
rules:
- apiGroups: [""]
  resources: [configmaps, secrets]
  verbs: [get, list, watch, create, delete]
- apiGroups: [""]
  resources: [configmaps, endpoints]
  verbs: [get, list]
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [app-config, unused-cm]
  verbs: [get]
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [unused-cm]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: broad, namespace: shop}
subjects: [{kind: ServiceAccount, name: web}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: broad}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader, namespace: prod}
subjects: [{kind: ServiceAccount, name: web, namespace: shop}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cm-reader}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cm-reader}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view-nodes}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-sa-view-nodes}
subjects: [{kind: Group, name: system:serviceaccounts, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view-nodes}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:public-info-viewer
  labels: {kubernetes.io/bootstrapping: rbac-defaults}
rules:
- {nonResourceURLs: [/healthz, /livez, /readyz, /version], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:public-info-viewer
  labels: {kubernetes.io/bootstrapping: rbac-defaults}
subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:public-info-viewer}
`

func tightenTestModel(t *testing.T) *Model {
	t.Helper()
	objs, errs := inventory.DecodeFile("model.yaml", []byte(tightenModel))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return Build(inventory.New(objs))
}

// TestTightenUnused diffs the usage against current grants: delete and
// secrets of the broad rule, list of endpoints, the named rule whose only
// name was never read, the binding in another namespace and the group
// binding were never used; the default binding is neither reported nor
// granted again (/healthz is inherited).
func TestTightenUnused(t *testing.T) {
	a := readAudit(t, nil, "testdata/audit-basic.jsonl")
	tt := Tighten(subject(t, a, "ServiceAccount shop/web"), tightenTestModel(t))
	if !reflect.DeepEqual(tt.Inherited, []string{"get /healthz"}) {
		t.Errorf("inherited %q", tt.Inherited)
	}
	checkRules(t, "cluster role", tt.ClusterRole.Rules, []rbacv1.PolicyRule{rule("", "namespaces", "list")})
	type row struct {
		binding, rule, via string
		all                bool
		verbs, res, pairs  []string
	}
	var got []row
	for _, u := range tt.Unused {
		got = append(got, row{u.Binding.Object.Ref.String(), DescribeRule(u.Rule), u.Via, u.All, u.Verbs, u.Resources, u.Pairs})
	}
	want := []row{
		{"RoleBinding shop/broad", "get,list,watch,create,delete configmaps,secrets", "", false, []string{"delete"}, []string{"secrets"}, nil},
		{"RoleBinding shop/broad", "get,list configmaps,endpoints", "", false, nil, nil, []string{"list endpoints"}},
		{"RoleBinding shop/broad", "get configmaps named unused-cm", "", true, []string{"get"}, []string{"configmaps"}, nil},
		{"RoleBinding prod/reader", "get configmaps", "", true, []string{"get"}, []string{"configmaps"}, nil},
		{"ClusterRoleBinding all-sa-view-nodes", "get nodes", "system:serviceaccounts", true, []string{"get"}, []string{"nodes"}, nil},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unused:\n got  %+v\n want %+v", got, want)
	}
}
