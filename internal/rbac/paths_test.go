package rbac

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/inventorytest"
	"github.com/kguard/kguard/internal/rbac/rbactest"
)

func loadPathsModel(t testing.TB, file string) *Model {
	t.Helper()
	return Build(inventorytest.Load(t, file))
}

// TestEscalationPaths: the shortest path of every identity of the fixture,
// worked out by hand from its comments.
func TestEscalationPaths(t *testing.T) {
	m := loadPathsModel(t, "testdata/paths-chain.yaml")
	const (
		admin = " -> ServiceAccount shop/admin -> bound to ClusterRole cluster-admin (ClusterRoleBinding shop-admin -> ClusterRole cluster-admin) -> cluster-admin"
		agg   = " -> ServiceAccount kube-system/clusterrole-aggregation-controller -> escalate clusterroles.rbac.authorization.k8s.io (ClusterRoleBinding aggregation -> ClusterRole aggregation) -> cluster-admin"
	)
	want := map[string]string{
		// Two steps: create pods in shop, then the cluster-admin account of shop.
		"ServiceAccount shop/ci":    "ServiceAccount shop/ci -> create pods in shop (RoleBinding shop/ci -> Role shop/deployer)" + admin,
		"User alice":                "User alice -> create pods in shop (RoleBinding shop/ci -> Role shop/deployer)" + admin,
		"ServiceAccount shop/admin": "ServiceAccount shop/admin -> bound to ClusterRole cluster-admin (ClusterRoleBinding shop-admin -> ClusterRole cluster-admin) -> cluster-admin",
		// A token for one named account.
		"ServiceAccount shop/tokener": "ServiceAccount shop/tokener -> create serviceaccounts/token named admin in shop (RoleBinding shop/tokener -> Role shop/admin-token)" + admin,
		// Impersonating groups cluster-wide is system:masters.
		"ServiceAccount ops/imp": "ServiceAccount ops/imp -> impersonate groups system:masters (ClusterRoleBinding imp -> ClusterRole impersonator) -> cluster-admin",
		// Impersonating service accounts in shop only: the accounts of shop.
		"ServiceAccount ops/sa-imp": "ServiceAccount ops/sa-imp -> impersonate serviceaccounts in shop (RoleBinding shop/sa-imp -> ClusterRole sa-impersonator)" + admin,
		// nodes/proxy is the kubelet API.
		"ServiceAccount mon/scraper": "ServiceAccount mon/scraper -> get nodes/proxy (kubelet API: exec in any pod on any node) (ClusterRoleBinding scraper -> ClusterRole node-proxy) -> cluster-admin",
		// Reading the secrets of kube-system reaches its controllers.
		"ServiceAccount mon/reader":                                     "ServiceAccount mon/reader -> list secrets in kube-system (RoleBinding kube-system/reader -> ClusterRole secret-reader)" + agg,
		"ServiceAccount kube-system/clusterrole-aggregation-controller": "ServiceAccount kube-system/clusterrole-aggregation-controller -> escalate clusterroles.rbac.authorization.k8s.io (ClusterRoleBinding aggregation -> ClusterRole aggregation) -> cluster-admin",
		// Deployments anywhere: any account, the first closest one in
		// node order (kube-system sorts before shop).
		"ServiceAccount ci/builder": "ServiceAccount ci/builder -> create deployments.apps in any namespace (ClusterRoleBinding builder -> ClusterRole deployments)" + agg,
	}
	esc := m.Escalation()
	got := map[string]string{}
	var order []string
	for _, p := range esc.Paths() {
		got[p.Start.String()] = p.String()
		order = append(order, p.Start.String())
	}
	for start, w := range want {
		if got[start] != w {
			t.Errorf("path of %s:\n got %q\nwant %q", start, got[start], w)
		}
	}
	for start, g := range got {
		if _, ok := want[start]; !ok {
			t.Errorf("unexpected path: %s", g)
		}
	}
	// Service accounts by namespace and name, then users.
	wantOrder := []string{"ServiceAccount ci/builder", "ServiceAccount kube-system/clusterrole-aggregation-controller",
		"ServiceAccount mon/reader", "ServiceAccount mon/scraper", "ServiceAccount ops/imp", "ServiceAccount ops/sa-imp",
		"ServiceAccount shop/admin", "ServiceAccount shop/ci", "ServiceAccount shop/tokener", "User alice"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("order %q, want %q", order, wantOrder)
	}
	if _, ok := esc.PathFrom(ForServiceAccount("shop", "web")); ok {
		t.Error("shop/web reads configmaps only, yet has a path")
	}

	// The steps carry the binding and the rule.
	p, ok := m.PathFrom(ForServiceAccount("shop", "ci"))
	if !ok || len(p.Steps) != 2 {
		t.Fatalf("shop/ci: %v %v", p, ok)
	}
	s := p.Steps[0]
	if s.From != "ServiceAccount shop/ci" || s.To != "ServiceAccount shop/admin" || s.Rule != "create,get pods" ||
		s.Grant == nil || s.Grant.Binding.Object.Name != "ci" || !slices.Equal(s.Grant.Rule.Verbs, []string{"create", "get"}) {
		t.Errorf("first step: %+v", s)
	}
	if s := p.Steps[1]; s.To != Goal || s.Rule != "" || s.Grant == nil || s.Grant.Binding.Object.Name != "shop-admin" {
		t.Errorf("second step: %+v", s)
	}
}

// TestEscalationNamespaceBind: escalate and bind held through a
// RoleBinding stay in its namespace: no path, and no edge to the goal.
func TestEscalationNamespaceBind(t *testing.T) {
	m := loadPathsModel(t, "testdata/paths-bind.yaml")
	if paths := m.EscalationPaths(); len(paths) != 0 {
		t.Errorf("namespace-scoped bind reaches cluster-admin: %v", paths)
	}
	names, edges := m.Graph()
	if !slices.Equal(names, []string{Goal, "ServiceAccount dev/binder", "ServiceAccount dev/default", "ServiceAccount dev/*"}) {
		t.Errorf("nodes %q", names)
	}
	var got []string
	for _, e := range edges {
		got = append(got, e.From+" -> "+e.To+": "+e.Action)
	}
	want := []string{
		"ServiceAccount dev/binder -> ServiceAccount dev/*: create pods in dev",
		"ServiceAccount dev/* -> ServiceAccount dev/binder: ",
		"ServiceAccount dev/* -> ServiceAccount dev/default: ",
	}
	if !slices.Equal(got, want) {
		t.Errorf("edges:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestEscalationPathFrom: identities the graph does not hold.
func TestEscalationPathFrom(t *testing.T) {
	m := loadPathsModel(t, "testdata/paths-chain.yaml")
	esc := m.Escalation()
	p, ok := esc.PathFrom(ForUser("bob", Masters))
	if !ok || p.String() != "User bob -> member of system:masters -> cluster-admin" {
		t.Errorf("system:masters: %q %v", p, ok)
	}
	// alice with one more group than the graph's alice: computed afresh,
	// same answer.
	p, ok = esc.PathFrom(ForUser("alice", "developers"))
	if !ok || len(p.Steps) != 2 || p.Steps[1].From != "ServiceAccount shop/admin" {
		t.Errorf("alice: %q %v", p, ok)
	}
	if p, ok := esc.PathFrom(ForServiceAccount("shop", "nobody")); ok {
		t.Errorf("unbound account has a path: %v", p)
	}
	u, _ := ParseSubject("serviceaccount:shop:ci")
	if p, ok := esc.PathFrom(u); !ok || len(p.Steps) != 2 {
		t.Errorf("parsed shop/ci: %v %v", p, ok)
	}
	// The cluster-admin account itself asked with other groups: its own
	// edge, not a loop through itself.
	u = ForServiceAccount("shop", "admin")
	u.Groups = append(u.Groups, "extra")
	if p, ok := esc.PathFrom(u); !ok || len(p.Steps) != 1 {
		t.Errorf("shop/admin: %v %v", p, ok)
	}
}

// TestEscalationGraph: the export holds every node once, the group nodes
// that stand for the accounts of a namespace or of all, no self-loops,
// and the same edges every time; following its edges from an identity
// finds the identity's shortest path.
func TestEscalationGraph(t *testing.T) {
	m := loadPathsModel(t, "testdata/paths-chain.yaml")
	names, edges := m.Graph()
	wantNames := []string{Goal,
		"ServiceAccount ci/builder", "ServiceAccount kube-system/clusterrole-aggregation-controller",
		"ServiceAccount mon/reader", "ServiceAccount mon/scraper", "ServiceAccount ops/imp", "ServiceAccount ops/sa-imp",
		"ServiceAccount shop/admin", "ServiceAccount shop/ci", "ServiceAccount shop/tokener", "ServiceAccount shop/web",
		"User alice",
		AllServiceAccounts, "ServiceAccount ci/*", "ServiceAccount kube-system/*", "ServiceAccount mon/*",
		"ServiceAccount ops/*", "ServiceAccount shop/*"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("nodes:\n%q\nwant:\n%q", names, wantNames)
	}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	out := map[string][]string{}
	for _, e := range edges {
		if e.From == e.To || !seen[e.From] || !seen[e.To] {
			t.Errorf("bad edge %+v", e)
		}
		out[e.From] = append(out[e.From], e.To)
	}
	for from, want := range map[string][]string{
		"ServiceAccount ci/builder":   {AllServiceAccounts},
		AllServiceAccounts:            {"ServiceAccount ci/*", "ServiceAccount kube-system/*", "ServiceAccount mon/*", "ServiceAccount ops/*", "ServiceAccount shop/*"},
		"ServiceAccount shop/*":       {"ServiceAccount shop/admin", "ServiceAccount shop/ci", "ServiceAccount shop/tokener", "ServiceAccount shop/web"},
		"ServiceAccount shop/ci":      {"ServiceAccount shop/*"},
		"ServiceAccount shop/tokener": {"ServiceAccount shop/admin"},
		"ServiceAccount mon/reader":   {"ServiceAccount kube-system/*"},
		"ServiceAccount ops/imp":      {Goal},
		"ServiceAccount shop/web":     nil,
	} {
		if !slices.Equal(out[from], want) {
			t.Errorf("edges of %s: %q, want %q", from, out[from], want)
		}
	}
	// Breadth-first over the export: every identity's distance to the
	// goal, not counting the hops into group nodes, is its path's length.
	for _, p := range m.EscalationPaths() {
		if d := graphDistance(out, p.Start.String()); d != len(p.Steps) {
			t.Errorf("%s: %d steps in the graph, path has %d", p.Start, d, len(p.Steps))
		}
	}

	text := func(edges []Step) string {
		var sb strings.Builder
		for _, e := range edges {
			fmt.Fprintf(&sb, "%s|%s|%s|%s|%s\n", e.From, e.To, e.Action, e.Via, e.Rule)
		}
		return sb.String()
	}
	for range 3 {
		_, again := loadPathsModel(t, "testdata/paths-chain.yaml").Graph()
		if text(again) != text(edges) {
			t.Fatal("graph order differs between runs")
		}
	}
}

// graphDistance is the number of edges from start to Goal, not counting
// the edges out of group nodes (/*), or -1: a 0-1 breadth-first search.
func graphDistance(out map[string][]string, start string) int {
	dist := map[string]int{start: 0}
	deque := []string{start}
	for len(deque) > 0 {
		n := deque[0]
		deque = deque[1:]
		for _, t := range out[n] {
			w := 1
			if strings.HasSuffix(n, "/*") {
				w = 0
			}
			if d, ok := dist[t]; ok && d <= dist[n]+w {
				continue
			}
			dist[t] = dist[n] + w
			if w == 0 {
				deque = append([]string{t}, deque...)
			} else {
				deque = append(deque, t)
			}
		}
	}
	if d, ok := dist[Goal]; ok {
		return d
	}
	return -1
}

// pathsInventory builds 5,000 service accounts in 250 namespaces and
// 10,000 bindings: 9,000 RoleBindings to Roles that create pods, read
// secrets or configmaps, and 1,000 ClusterRoleBindings (a few to
// cluster-admin, others to read-only or pod-creating ClusterRoles, some
// for groups).
func pathsInventory() *inventory.Inventory {
	var objs rbactest.Objects
	add := objs.Add
	const namespaces, perNS = 250, 20
	nsName := func(i int) string { return fmt.Sprintf("ns-%03d", i%namespaces) }
	for i := range namespaces * perNS {
		sa := &corev1.ServiceAccount{}
		add("ServiceAccount", nsName(i), fmt.Sprintf("sa-%04d", i), sa, &sa.ObjectMeta)
	}
	roleRules := [][]rbacv1.PolicyRule{
		{{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}}},
		{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch"}}},
		{{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"create", "update"}}},
		{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}},
		{{APIGroups: []string{""}, Resources: []string{"services", "endpoints"}, Verbs: []string{"*"}}},
	}
	for i := range 9000 {
		ns := nsName(i)
		r := &rbacv1.Role{Rules: roleRules[i%len(roleRules)]}
		add("Role", ns, fmt.Sprintf("role-%04d", i), r, &r.ObjectMeta)
		b := &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%04d", i)},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: fmt.Sprintf("sa-%04d", (i*7)%5000), Namespace: nsName((i * 7) % 5000)}}}
		add("RoleBinding", ns, fmt.Sprintf("rb-%04d", i), b, &b.ObjectMeta)
	}
	clusterRules := [][]rbacv1.PolicyRule{
		{{APIGroups: []string{""}, Resources: []string{"nodes", "namespaces"}, Verbs: []string{"get", "list"}}},
		{{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"create"}}},
		{{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}}},
	}
	for i := range len(clusterRules) {
		r := &rbacv1.ClusterRole{Rules: clusterRules[i]}
		add("ClusterRole", "", fmt.Sprintf("cr-%d", i), r, &r.ObjectMeta)
	}
	for i := range 1000 {
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", i%len(clusterRules))}
		if i%200 == 0 {
			ref.Name = "cluster-admin"
		}
		sub := rbacv1.Subject{Kind: "ServiceAccount", Name: fmt.Sprintf("sa-%04d", (i*13)%5000), Namespace: nsName((i * 13) % 5000)}
		if i%10 == 5 {
			sub = rbacv1.Subject{Kind: "Group", Name: "system:serviceaccounts:" + nsName(i)}
		}
		b := &rbacv1.ClusterRoleBinding{RoleRef: ref, Subjects: []rbacv1.Subject{sub}}
		add("ClusterRoleBinding", "", fmt.Sprintf("crb-%04d", i), b, &b.ObjectMeta)
	}
	return objs.Inventory()
}

// BenchmarkPaths: the whole graph and every shortest path of 5,000
// service accounts and 10,000 bindings.
func BenchmarkPaths(b *testing.B) {
	m := Build(pathsInventory())
	var n int
	for b.Loop() {
		n = len(m.EscalationPaths())
	}
	b.ReportMetric(float64(n), "paths")
}

// BenchmarkPathsGraph: the graph export of the same model.
func BenchmarkPathsGraph(b *testing.B) {
	m := Build(pathsInventory())
	for b.Loop() {
		m.Graph()
	}
}
