package rbac

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/inventorytest"
)

func loadModel(t testing.TB, file string) (*inventory.Inventory, *Model) {
	t.Helper()
	inv := inventorytest.Load(t, file)
	return inv, Build(inv)
}

func res(verb, group, resource, sub, ns, name string) Request {
	return Request{Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns, Name: name}
}

// TestAllowed: answers checked by hand against the fixture and the
// authorizer's rules (see the package doc).
func TestAllowed(t *testing.T) {
	_, m := loadModel(t, "testdata/sar-fixture.yaml")
	web := ForServiceAccount("alpha", "web")
	tests := []struct {
		name string
		user User
		req  Request
		want bool
	}{
		{"role grants in its namespace", web, res("list", "", "configmaps", "", "alpha", ""), true},
		{"not in another namespace", web, res("list", "", "configmaps", "", "beta", ""), false},
		{"not cluster-wide", web, res("list", "", "configmaps", "", "", ""), false},
		{"verb not granted", web, res("delete", "", "configmaps", "", "alpha", ""), false},
		{"SA from another namespace named in the binding", ForServiceAccount("beta", "web"), res("get", "", "configmaps", "", "alpha", "x"), true},
		{"resourceNames: named object", web, res("get", "", "secrets", "", "alpha", "db-password"), true},
		{"resourceNames: other object", web, res("get", "", "secrets", "", "alpha", "tls"), false},
		{"resourceNames: list has no name", web, res("list", "", "secrets", "", "alpha", ""), false},
		{"group subject", ForUser("zed", "oncall"), res("create", "", "pods", "exec", "alpha", "p"), true},
		{"subresource needs its own grant", ForUser("alice"), res("create", "", "pods", "attach", "alpha", "p"), false},
		{"pods/log granted", ForUser("alice"), res("get", "", "pods", "log", "alpha", "p"), true},
		{"*/scale matches any resource's scale", ForServiceAccount("alpha", "ci"), res("patch", "apps", "statefulsets", "scale", "alpha", "db"), true},
		{"*/scale is not status", ForServiceAccount("alpha", "ci"), res("patch", "apps", "deployments", "status", "alpha", "web"), false},
		{"several groups in one rule", ForServiceAccount("alpha", "ci"), res("delete", "", "services", "", "alpha", "x"), true},
		{"group of the rule matters", ForServiceAccount("alpha", "ci"), res("delete", "apps", "services", "", "alpha", "x"), false},
		{"binding to a missing role grants nothing", ForServiceAccount("alpha", "ci"), res("get", "apps", "deployments", "", "beta", ""), false},
		{"wildcards", ForUser("bob"), res("deletecollection", "example.com", "widgets", "", "beta", ""), true},
		{"wildcard role only in its namespace", ForUser("bob"), res("get", "", "secrets", "", "alpha", "x"), false},
		{"aggregated cluster role through a RoleBinding", ForUser("x", "team-alpha"), res("create", "networking.k8s.io", "ingresses", "", "alpha", ""), true},
		{"aggregation takes only matching labels", ForUser("x", "team-alpha"), res("delete", "", "configmaps", "", "alpha", "x"), false},
		{"ClusterRole via RoleBinding is namespaced", ForUser("dave"), res("list", "", "nodes", "", "", ""), false},
		{"ClusterRoleBinding is cluster-wide", ForUser("erin"), res("list", "", "nodes", "", "", ""), true},
		{"ClusterRoleBinding also in namespaces", ForUser("erin"), res("get", "", "namespaces", "", "beta", "beta"), true},
		{"non-resource URL", ForUser("prometheus"), res("get", "", "", "", "", ""), false},
		{"non-resource exact", ForUser("prometheus"), Request{Verb: "get", NonResourceURL: "/metrics"}, true},
		{"non-resource prefix", ForServiceAccount("beta", "ci"), Request{Verb: "get", NonResourceURL: "/debug/pprof/heap"}, true},
		{"non-resource prefix needs the prefix", ForUser("prometheus"), Request{Verb: "get", NonResourceURL: "/debugger"}, false},
		{"non-resource verb", ForUser("prometheus"), Request{Verb: "post", NonResourceURL: "/metrics"}, false},
		{"implicit SA group", ForServiceAccount("beta", "default"), Request{Verb: "get", NonResourceURL: "/metrics"}, true},
		{"SA default namespace from the binding", ForServiceAccount("alpha", "default"), res("list", "", "secrets", "", "alpha", ""), true},
		{"impersonate with resourceNames", ForUser("carol"), res("impersonate", "", "serviceaccounts", "", "alpha", "web"), true},
		{"impersonate another name", ForUser("carol"), res("impersonate", "", "serviceaccounts", "", "alpha", "ci"), false},
		{"system:masters may do anything", User{Name: "root", Groups: []string{Masters}}, res("delete", "", "nodes", "", "", "n1"), true},
		{"unknown user", ForUser("mallory"), res("get", "", "pods", "", "alpha", ""), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := m.Allowed(tc.user, tc.req); got != tc.want {
				t.Errorf("%s %s: allowed=%v, want %v", tc.user, tc.req, got, tc.want)
			}
		})
	}
}

// TestAggregation: the aggregated ClusterRole holds exactly the rules of
// the ClusterRoles its selector matches, in name order.
func TestAggregation(t *testing.T) {
	_, m := loadModel(t, "testdata/sar-fixture.yaml")
	got, _, ok := m.RoleRules("ClusterRole", "", "team-aggregate")
	if !ok {
		t.Fatal("team-aggregate not found")
	}
	var desc []string
	for _, r := range got {
		desc = append(desc, DescribeRule(r))
	}
	want := []string{"get,list,create ingresses.networking.k8s.io", "get,delete persistentvolumeclaims"}
	if !slices.Equal(desc, want) {
		t.Errorf("aggregated rules %q, want %q", desc, want)
	}
}

func TestMissingRole(t *testing.T) {
	_, m := loadModel(t, "testdata/sar-fixture.yaml")
	var missing []string
	for _, b := range m.Bindings {
		if b.Missing() {
			missing = append(missing, b.Object.Kind+" "+b.Object.Name)
		}
	}
	if !slices.Equal(missing, []string{"RoleBinding ci-deploy-beta", "ClusterRoleBinding missing-role"}) {
		t.Errorf("bindings to missing roles: %v", missing)
	}
}

func TestWhoCan(t *testing.T) {
	_, m := loadModel(t, "testdata/sar-fixture.yaml")
	var got []string
	for _, s := range m.WhoCan(res("list", "", "secrets", "", "alpha", "")) {
		got = append(got, s.Kind+":"+strings.TrimPrefix(s.Namespace+"/", "/")+s.Name+" via "+s.Grant.Binding.Object.Name)
	}
	want := []string{"ServiceAccount:alpha/default via secret-lister-alpha", "Group:auditors via all-sa-secret-list"}
	if !slices.Equal(got, want) {
		t.Errorf("who can list secrets in alpha: %q, want %q", got, want)
	}
}

func TestParseSubject(t *testing.T) {
	for in, want := range map[string]string{
		"serviceaccount:shop:web":        "ServiceAccount shop/web",
		"system:serviceaccount:shop:web": "ServiceAccount shop/web",
		"sa:shop:web":                    "ServiceAccount shop/web",
		"group:devs":                     "Group devs",
		"user:alice":                     "User alice",
		"alice":                          "User alice",
	} {
		u, ok := ParseSubject(in)
		if !ok || u.String() != want {
			t.Errorf("ParseSubject(%q) = %v %v, want %s", in, u, ok, want)
		}
	}
	for _, bad := range []string{"serviceaccount:shop", "group:", ""} {
		if _, ok := ParseSubject(bad); ok {
			t.Errorf("ParseSubject(%q) accepted", bad)
		}
	}
}

func TestDescribeRule(t *testing.T) {
	r := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"", "apps"}, Resources: []string{"deployments"}, ResourceNames: []string{"web"}}
	if got := DescribeRule(r); got != "get deployments,deployments.apps named web" {
		t.Errorf("DescribeRule = %q", got)
	}
}
