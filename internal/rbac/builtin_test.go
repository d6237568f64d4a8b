package rbac

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rbac/builtin"
)

// withBuiltins decodes manifests and attaches the newest built-in policy,
// as kguard does for files.
func withBuiltins(t testing.TB, manifests string) (*inventory.Inventory, *Model) {
	t.Helper()
	objs, errs := inventory.DecodeFile("test.yaml", []byte(manifests))
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	inv, _, err := builtin.Attach(inventory.New(objs), k8sversions.Latest)
	if err != nil {
		t.Fatal(err)
	}
	return inv, Build(inv)
}

func ruleDescs(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		out = append(out, DescribeRule(r))
	}
	return out
}

// TestBuiltinGrants: answers of the bootstrap policy alone, checked by
// hand against bootstrappolicy (policy.go).
func TestBuiltinGrants(t *testing.T) {
	_, m := withBuiltins(t, "")
	_, bare := loadModel(t, "testdata/sar-fixture.yaml")
	anyone := ForUser("alice")
	anonymous := ForUser("system:anonymous")
	kcm := ForUser("system:kube-controller-manager")
	aggregator := ForServiceAccount("kube-system", "clusterrole-aggregation-controller")
	tests := []struct {
		name string
		user User
		req  Request
		want bool
	}{
		{"basic-user: self subject access review", anyone, res("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", ""), true},
		{"discovery: /api", anyone, Request{Verb: "get", NonResourceURL: "/api"}, true},
		{"discovery: /apis/apps", anyone, Request{Verb: "get", NonResourceURL: "/apis/apps"}, true},
		{"public-info-viewer: /version for anonymous", anonymous, Request{Verb: "get", NonResourceURL: "/version"}, true},
		{"discovery is not for anonymous", anonymous, Request{Verb: "get", NonResourceURL: "/api"}, false},
		{"nothing else for everyone", anyone, res("list", "", "pods", "", "shop", ""), false},
		{"controller manager lists everything", kcm, res("list", "apps", "deployments", "", "", ""), true},
		{"controller manager reads secrets", kcm, res("get", "", "secrets", "", "shop", "x"), true},
		{"controller manager deletes no pods", kcm, res("delete", "", "pods", "", "shop", "x"), false},
		{"aggregation controller escalates cluster roles", aggregator, res("escalate", rbacv1.GroupName, "clusterroles", "", "", "x"), true},
		{"extension-apiserver-authentication-reader in kube-system", kcm, res("get", "", "configmaps", "", "kube-system", "extension-apiserver-authentication"), true},
		{"... only that configmap", kcm, res("update", "", "configmaps", "", "kube-system", "extension-apiserver-authentication"), false},
	}
	for _, tc := range tests {
		if got, _ := m.Allowed(tc.user, tc.req); got != tc.want {
			t.Errorf("%s: %s %s: allowed=%v, want %v", tc.name, tc.user, tc.req, got, tc.want)
		}
	}
	if !m.HasBuiltins() || bare.HasBuiltins() {
		t.Errorf("HasBuiltins: %v with, %v without", m.HasBuiltins(), bare.HasBuiltins())
	}
	// Without the baseline none of it is known.
	if ok, _ := bare.Allowed(anyone, Request{Verb: "get", NonResourceURL: "/api"}); ok {
		t.Error("discovery allowed without the built-in policy")
	}
}

// TestBuiltinAggregation: admin, edit and view get their rules from the
// aggregate-to-* roles as the controller writes them, including input
// roles that aggregate into them; view's rules reach edit and admin
// through their labels (view is aggregate-to-edit, edit aggregate-to-admin).
func TestBuiltinAggregation(t *testing.T) {
	_, m := withBuiltins(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: widgets-view
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
  - apiGroups: [example.com]
    resources: [widgets]
    verbs: [get, list, watch]
`)
	widgets := res("list", "example.com", "widgets", "", "shop", "")
	for _, name := range []string{"view", "edit", "admin"} {
		rules, obj, ok := m.RoleRules("ClusterRole", "", name)
		if !ok || obj == nil {
			t.Fatalf("no %s", name)
		}
		has := slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool { return Allows(&r, &widgets) })
		if !has {
			t.Errorf("%s lacks the input role's widgets rule: %q", name, ruleDescs(rules))
		}
	}
	view, _, _ := m.RoleRules("ClusterRole", "", "view")
	edit, _, _ := m.RoleRules("ClusterRole", "", "edit")
	admin, _, _ := m.RoleRules("ClusterRole", "", "admin")
	// view = system:aggregate-to-view's rules, then widgets-view's (name
	// order: "system:..." < "widgets-view").
	agg, _, _ := m.RoleRules("ClusterRole", "", "system:aggregate-to-view")
	if want := append(ruleDescs(agg), "get,list,watch widgets.example.com"); !slices.Equal(ruleDescs(view), want) {
		t.Errorf("view rules:\n%q\nwant\n%q", ruleDescs(view), want)
	}
	// Each level holds the one below it, and more.
	for _, r := range view {
		if !ruleIn(edit, &r) {
			t.Errorf("edit lacks view's rule %s", DescribeRule(r))
		}
	}
	for _, r := range edit {
		if !ruleIn(admin, &r) {
			t.Errorf("admin lacks edit's rule %s", DescribeRule(r))
		}
	}
	if len(edit) <= len(view) || len(admin) <= len(edit) {
		t.Errorf("rules: view %d, edit %d, admin %d", len(view), len(edit), len(admin))
	}
	// admin grants rolebindings in a namespace, edit does not.
	rb := res("create", rbacv1.GroupName, "rolebindings", "", "shop", "")
	if ruleAllows(edit, rb) || !ruleAllows(admin, rb) {
		t.Error("edit/admin rolebinding rights wrong")
	}
}

func roleRules(m *Model, clusterRole string) []rbacv1.PolicyRule {
	r, _, _ := m.RoleRules("ClusterRole", "", clusterRole)
	return r
}

func ruleAllows(rules []rbacv1.PolicyRule, req Request) bool {
	return slices.ContainsFunc(rules, func(r rbacv1.PolicyRule) bool { return Allows(&r, &req) })
}

// TestInputsReplaceBuiltins: an input ClusterRole or binding named like a
// built-in one replaces it.
func TestInputsReplaceBuiltins(t *testing.T) {
	inv, m := withBuiltins(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: edit}
rules:
  - apiGroups: [""]
    resources: [configmaps]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: system:basic-user}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:basic-user}
subjects:
  - {kind: Group, name: basic, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: editors, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
  - {kind: User, name: eve, apiGroup: rbac.authorization.k8s.io}
`)
	edit, obj, _ := m.RoleRules("ClusterRole", "", "edit")
	if got := ruleDescs(edit); !slices.Equal(got, []string{"get configmaps"}) || obj.Source.File != "test.yaml" {
		t.Errorf("edit: %q from %+v", got, obj.Source)
	}
	// The input edit has no aggregate-to-admin label: admin loses edit's
	// rules (deployments come to admin only through the built-in edit),
	// keeping those of system:aggregate-to-admin (rolebindings).
	deploy := res("create", "apps", "deployments", "", "shop", "")
	if _, unchanged := withBuiltins(t, ""); !ruleAllows(roleRules(unchanged, "admin"), deploy) {
		t.Fatal("the built-in admin cannot create deployments: the check below proves nothing")
	}
	admin := roleRules(m, "admin")
	if ruleAllows(admin, deploy) || !ruleAllows(admin, res("create", rbacv1.GroupName, "rolebindings", "", "shop", "")) {
		t.Errorf("admin after edit was replaced: %q", ruleDescs(admin))
	}
	eve := ForUser("eve")
	if ok, _ := m.Allowed(eve, res("create", "", "pods", "", "shop", "")); ok {
		t.Error("eve has the built-in edit's rights")
	}
	ok, grants := m.Allowed(eve, res("get", "", "configmaps", "", "shop", "c"))
	if !ok || grants[0].Binding.RoleBuiltin || grants[0].Binding.Builtin {
		t.Errorf("eve via input edit: %v %+v", ok, grants)
	}
	// The input system:basic-user binding replaced the built-in one.
	if ok, _ := m.Allowed(ForUser("alice"), res("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", "")); ok {
		t.Error("everyone still has system:basic-user")
	}
	ok, grants = m.Allowed(User{Name: "b", Groups: []string{"basic"}}, res("create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", ""))
	if !ok || grants[0].Binding.Builtin || !grants[0].Binding.RoleBuiltin {
		t.Errorf("group basic via input binding to the built-in role: %v %+v", ok, grants)
	}
	// Input bindings come first, built-in ones after.
	firstBuiltin := slices.IndexFunc(m.Bindings, func(b *Binding) bool { return b.Builtin })
	if firstBuiltin != 2 || slices.ContainsFunc(m.Bindings[firstBuiltin:], func(b *Binding) bool { return !b.Builtin }) {
		t.Errorf("binding order: first built-in at %d", firstBuiltin)
	}
	for _, b := range m.Bindings[firstBuiltin:] {
		if b.Object.Name == "system:basic-user" && b.Object.Kind == "ClusterRoleBinding" {
			t.Error("the replaced built-in binding is still there")
		}
	}
	if len(inv.Objects()) != 3 {
		t.Errorf("the baseline leaked into the objects: %d", len(inv.Objects()))
	}
}

// TestAggregationAsController: the controller's rules for aggregated roles
// (pkg/controller/clusterroleaggregation), read by hand: rules replace the
// role's own, per selector in order, matching roles by name, each rule
// once; an empty selector matches every role; nothing matched leaves the
// role's rules; a selector that does not parse leaves the role.
func TestAggregationAsController(t *testing.T) {
	_, m := withBuiltins(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {team: b}
    - matchLabels: {team: a}
rules:
  - {apiGroups: [""], resources: [nodes], verbs: [delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part-2, labels: {team: a}}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
  - {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part-1, labels: {team: a}}
rules:
  - {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part-3, labels: {team: b}}
rules:
  - {apiGroups: [""], resources: [pods], verbs: [get]}
  - {verbs: [get], nonResourceURLs: [/metrics]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: nothing-matched}
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {team: nobody}
rules:
  - {apiGroups: [""], resources: [events], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: bad-selector}
aggregationRule:
  clusterRoleSelectors:
    - matchExpressions: [{key: team, operator: Sideways, values: [a]}]
rules:
  - {apiGroups: [""], resources: [events], verbs: [watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
aggregationRule:
  clusterRoleSelectors:
    - {}
`)
	check := func(name string, want ...string) {
		t.Helper()
		rules, _, _ := m.RoleRules("ClusterRole", "", name)
		if got := ruleDescs(rules); !slices.Equal(got, want) {
			t.Errorf("%s:\n%q\nwant\n%q", name, got, want)
		}
	}
	check("agg", "get pods", "get /metrics", "get configmaps", "get secrets")
	check("nothing-matched", "list events")
	check("bad-selector", "watch events")
	// {} matches every ClusterRole but itself, cluster-admin included;
	// equal rules are kept once.
	every := roleRules(m, "everything")
	if !ruleAllows(every, res("delete", "", "nodes", "", "", "n")) || !ruleAllows(every, Request{Verb: "post", NonResourceURL: "/x"}) {
		t.Errorf("everything lacks cluster-admin's rules: %d rules", len(every))
	}
	for i := range every {
		if ruleIn(every[:i], &every[i]) {
			t.Errorf("everything holds %s twice", DescribeRule(every[i]))
		}
	}
}

// TestAggregationCycle: two aggregated roles that take each other's rules
// settle (the controller converges too, both ending with both leaves'
// rules) instead of looping.
func TestAggregationCycle(t *testing.T) {
	_, m := withBuiltins(t, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a, labels: {y: "1"}}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {x: "1"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: b, labels: {x: "1"}}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {y: "1"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: leaf-a, labels: {x: "1"}}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: leaf-b, labels: {y: "1"}}
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
`)
	for _, name := range []string{"a", "b"} {
		rules := roleRules(m, name)
		if !ruleAllows(rules, res("get", "", "configmaps", "", "", "")) || !ruleAllows(rules, res("get", "", "secrets", "", "", "")) {
			t.Errorf("%s: %q", name, ruleDescs(rules))
		}
	}
}
