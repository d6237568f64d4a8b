package rbac

import (
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kguard/kguard/internal/inventory"
)

// Binding is a RoleBinding or ClusterRoleBinding with its role resolved.
type Binding struct {
	Object *inventory.Object
	// Namespace is where the binding grants: the RoleBinding's namespace,
	// or "" for a ClusterRoleBinding (every namespace and cluster scope).
	Namespace string
	Subjects  []rbacv1.Subject
	RoleRef   rbacv1.RoleRef
	// Role is the Role or ClusterRole referenced, nil when missing.
	Role *inventory.Object
	// Rules are the role's rules (aggregated for aggregated ClusterRoles).
	Rules []rbacv1.PolicyRule
	// Builtin is set for a binding of the built-in policy (the inventory's
	// baseline) that no input replaced; RoleBuiltin when its role is one.
	Builtin, RoleBuiltin bool

	order int // position in Model.Bindings
}

// Missing reports a binding whose role was not found.
func (b *Binding) Missing() bool { return b.Role == nil }

// Model is the RBAC state of an inventory.
type Model struct {
	// Bindings are the inputs' bindings in inventory order, then the
	// built-in ones that no input replaced.
	Bindings []*Binding
	// Roles and ClusterRoles by key, with their effective rules.
	roles map[roleKey]*role
	// bySubject indexes bindings by subject key for fast lookups.
	byUser, byGroup map[string][]*Binding
	// ServiceAccounts are the ServiceAccount objects of the inventory.
	ServiceAccounts []*inventory.Object
	// builtins counts the built-in RBAC objects of the baseline.
	builtins int
}

type roleKey struct{ kind, namespace, name string }

type role struct {
	obj     *inventory.Object
	rules   []rbacv1.PolicyRule
	builtin bool
	// aggregation is the ClusterRole's aggregationRule, nil when none;
	// controllerOwned is set once the simulated aggregation controller
	// has written the rules (see aggregate).
	aggregation     *rbacv1.AggregationRule
	controllerOwned bool
}

// RoleRules returns the effective rules of a Role ("Role", ns, name) or
// ClusterRole ("ClusterRole", "", name).
func (m *Model) RoleRules(kind, namespace, name string) ([]rbacv1.PolicyRule, *inventory.Object, bool) {
	r, ok := m.roles[roleKey{kind, namespace, name}]
	if !ok {
		return nil, nil, false
	}
	return r.rules, r.obj, true
}

// HasBuiltins reports whether the model includes a built-in RBAC policy
// (the inventory's baseline): then every role a cluster has by default is
// known, and a binding to a missing system: role really is dangling.
func (m *Model) HasBuiltins() bool { return m.builtins > 0 }

// Build reads the RBAC objects of inv and of its baseline (the built-in
// policy, for inputs that are files). An input Role, ClusterRole or binding
// replaces the built-in one of the same kind, namespace and name, as
// applying it to a cluster would. Aggregated ClusterRoles get the rules
// the aggregation controller would write (see aggregate).
func Build(inv *inventory.Inventory) *Model {
	baseline := inv.Baseline()
	nRoles := len(baseline) + len(inv.ByKind(rbacv1.GroupName, "Role")) + len(inv.ByKind(rbacv1.GroupName, "ClusterRole"))
	nBindings := len(baseline) + len(inv.ByKind(rbacv1.GroupName, "RoleBinding")) + len(inv.ByKind(rbacv1.GroupName, "ClusterRoleBinding"))
	m := &Model{roles: make(map[roleKey]*role, nRoles), byUser: make(map[string][]*Binding, nBindings),
		byGroup: map[string][]*Binding{}, Bindings: make([]*Binding, 0, nBindings)}
	addRole := func(o *inventory.Object, builtin bool) {
		switch r := o.Typed.(type) {
		case *rbacv1.Role:
			m.roles[roleKey{"Role", o.Namespace, o.Name}] = &role{obj: o, rules: r.Rules, builtin: builtin}
		case *rbacv1.ClusterRole:
			m.roles[roleKey{"ClusterRole", "", o.Name}] = &role{obj: o, rules: r.Rules, builtin: builtin, aggregation: r.AggregationRule}
		}
	}
	// Built-in roles first, so that inputs replace them.
	for _, o := range baseline {
		if o.Group() == rbacv1.GroupName {
			m.builtins++
			addRole(o, true)
		}
	}
	for _, o := range inv.ByKind(rbacv1.GroupName, "Role") {
		addRole(o, false)
	}
	for _, o := range inv.ByKind(rbacv1.GroupName, "ClusterRole") {
		addRole(o, false)
	}
	m.aggregate()
	for _, o := range inv.ByKind(rbacv1.GroupName, "RoleBinding") {
		if b, ok := o.Typed.(*rbacv1.RoleBinding); ok {
			m.addBinding(o, o.Namespace, b.Subjects, b.RoleRef, false)
		}
	}
	for _, o := range inv.ByKind(rbacv1.GroupName, "ClusterRoleBinding") {
		if b, ok := o.Typed.(*rbacv1.ClusterRoleBinding); ok {
			m.addBinding(o, "", b.Subjects, b.RoleRef, false)
		}
	}
	for _, o := range baseline {
		if o.Group() != rbacv1.GroupName {
			continue
		}
		if _, replaced := inv.Get(rbacv1.GroupName, o.Kind, o.Namespace, o.Name); replaced {
			continue
		}
		switch b := o.Typed.(type) {
		case *rbacv1.RoleBinding:
			m.addBinding(o, o.Namespace, b.Subjects, b.RoleRef, true)
		case *rbacv1.ClusterRoleBinding:
			m.addBinding(o, "", b.Subjects, b.RoleRef, true)
		}
	}
	m.ServiceAccounts = inv.ByKind("", "ServiceAccount")
	return m
}

// aggregate writes the rules of aggregated ClusterRoles as the ClusterRole
// aggregation controller of kube-controller-manager does
// (pkg/controller/clusterroleaggregation): for each selector of the
// aggregationRule in order, every other ClusterRole it matches (an empty
// selector matches all) in name order, each rule once; the result replaces
// the role's own rules. A role whose selector does not parse is left as it
// is (the controller fails on it). When the union is empty, the
// controller's apply carries no rules and leaves those someone else wrote.
// Aggregated roles may aggregate each other (admin takes edit's rules,
// edit takes view's), so syncs repeat until nothing changes, as the
// controller's requeue on every ClusterRole change does. For a live
// cluster this reproduces what the controller already stored.
func (m *Model) aggregate() {
	var targets, all []*role
	for k, r := range m.roles {
		if k.kind != "ClusterRole" {
			continue
		}
		all = append(all, r)
		if r.aggregation != nil {
			targets = append(targets, r)
		}
	}
	if len(targets) == 0 {
		return
	}
	byName := func(list []*role) {
		sort.Slice(list, func(i, j int) bool { return list[i].obj.Name < list[j].obj.Name })
	}
	byName(targets)
	// The roles each target's selectors match, in the controller's order
	// (selector by selector, by name; a role matched twice adds nothing
	// the second time). Labels do not change, so this is done once.
	sources := make(map[*role][]*role, len(targets))
	var valid []*role
	for _, t := range targets {
		var srcs []*role
		ok := true
		for j := range t.aggregation.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&t.aggregation.ClusterRoleSelectors[j])
			if err != nil {
				ok = false
				break
			}
			var matched []*role
			for _, src := range all {
				if src != t && sel.Matches(labels.Set(src.obj.Meta.Labels)) && !slices.Contains(srcs, src) {
					matched = append(matched, src)
				}
			}
			byName(matched)
			srcs = append(srcs, matched...)
		}
		if ok {
			sources[t] = srcs
			valid = append(valid, t)
		}
	}
	// Sync a role after the aggregated roles it takes rules from (view
	// before edit before admin), so that a chain settles in one round and
	// the next finds nothing to change; a cycle may not settle, and stops
	// after as many rounds as there are roles.
	var order []*role
	state := map[*role]int{} // 1 visiting, 2 done
	var visit func(t *role)
	visit = func(t *role) {
		if state[t] != 0 {
			return
		}
		state[t] = 1
		for _, src := range sources[t] {
			if _, aggregated := sources[src]; aggregated {
				visit(src)
			}
		}
		state[t] = 2
		order = append(order, t)
	}
	for _, t := range valid {
		visit(t)
	}
	for round := 0; round <= len(order); round++ {
		changed := false
		for _, t := range order {
			var rules []rbacv1.PolicyRule
			for _, src := range sources[t] {
				for i := range src.rules {
					if !ruleIn(rules, &src.rules[i]) {
						rules = append(rules, src.rules[i])
					}
				}
			}
			if len(rules) == 0 && !t.controllerOwned {
				continue
			}
			if !rulesEqual(rules, t.rules) {
				t.rules, changed = rules, true
			}
			t.controllerOwned = true
		}
		if !changed {
			return
		}
	}
}

// ruleIn reports whether list holds a rule equal to r, nil and empty lists
// being equal (the controller's equality.Semantic.DeepEqual).
func ruleIn(list []rbacv1.PolicyRule, r *rbacv1.PolicyRule) bool {
	for i := range list {
		if ruleEqual(&list[i], r) {
			return true
		}
	}
	return false
}

func ruleEqual(a, b *rbacv1.PolicyRule) bool {
	return slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.APIGroups, b.APIGroups) &&
		slices.Equal(a.Resources, b.Resources) && slices.Equal(a.ResourceNames, b.ResourceNames) &&
		slices.Equal(a.NonResourceURLs, b.NonResourceURLs)
}

func rulesEqual(a, b []rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y rbacv1.PolicyRule) bool { return ruleEqual(&x, &y) })
}

func (m *Model) addBinding(o *inventory.Object, ns string, subjects []rbacv1.Subject, ref rbacv1.RoleRef, builtin bool) {
	b := &Binding{Object: o, Namespace: ns, Subjects: subjects, RoleRef: ref, Builtin: builtin, order: len(m.Bindings)}
	key := roleKey{ref.Kind, "", ref.Name}
	if ref.Kind == "Role" {
		key.namespace = ns
	}
	if r, ok := m.roles[key]; ok && (ref.Kind == "Role" || ref.Kind == "ClusterRole") {
		b.Role, b.Rules, b.RoleBuiltin = r.obj, r.rules, r.builtin
	}
	m.Bindings = append(m.Bindings, b)
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			m.byUser[s.Name] = appendOnce(m.byUser[s.Name], b)
		case rbacv1.GroupKind:
			m.byGroup[s.Name] = appendOnce(m.byGroup[s.Name], b)
		case rbacv1.ServiceAccountKind:
			sns := s.Namespace
			if sns == "" {
				sns = ns
			}
			u := ServiceAccountUser(sns, s.Name)
			m.byUser[u] = appendOnce(m.byUser[u], b)
		}
	}
}

func appendOnce(list []*Binding, b *Binding) []*Binding {
	if n := len(list); n > 0 && list[n-1] == b {
		return list
	}
	return append(list, b)
}

// ServiceAccountUser is the user name of a service account.
func ServiceAccountUser(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// User is an authenticated identity: a name and groups.
type User struct {
	Name   string
	Groups []string
}

// Superuser groups bypass authorization entirely.
const Masters = "system:masters"

// ForServiceAccount is the identity of a service account's token, with the
// groups the API server adds.
func ForServiceAccount(namespace, name string) User {
	return User{Name: ServiceAccountUser(namespace, name), Groups: []string{
		"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated",
	}}
}

// ForUser is a user with the groups given plus system:authenticated (or,
// for system:anonymous, system:unauthenticated), as authentication adds.
func ForUser(name string, groups ...string) User {
	g := append([]string{}, groups...)
	if name == "system:anonymous" {
		g = append(g, "system:unauthenticated")
	} else if !contains(g, "system:authenticated") {
		g = append(g, "system:authenticated")
	}
	return User{Name: name, Groups: g}
}

// ParseSubject reads "serviceaccount:NS:NAME", "system:serviceaccount:NS:NAME",
// "group:NAME", "user:NAME" or a bare user name.
func ParseSubject(s string) (User, bool) {
	switch {
	case strings.HasPrefix(s, "system:serviceaccount:"), strings.HasPrefix(s, "serviceaccount:"), strings.HasPrefix(s, "sa:"):
		rest := s[strings.Index(s, ":")+1:]
		rest = strings.TrimPrefix(rest, "serviceaccount:")
		ns, name, ok := strings.Cut(rest, ":")
		if !ok || ns == "" || name == "" {
			return User{}, false
		}
		return ForServiceAccount(ns, name), true
	case strings.HasPrefix(s, "group:"):
		g := strings.TrimPrefix(s, "group:")
		return User{Groups: []string{g}}, g != ""
	case strings.HasPrefix(s, "user:"):
		s = strings.TrimPrefix(s, "user:")
	}
	return ForUser(s), s != ""
}

func (u User) String() string {
	if u.Name == "" && len(u.Groups) == 1 {
		return "Group " + u.Groups[0]
	}
	if ns, name, ok := strings.Cut(strings.TrimPrefix(u.Name, "system:serviceaccount:"), ":"); ok && strings.HasPrefix(u.Name, "system:serviceaccount:") {
		return "ServiceAccount " + ns + "/" + name
	}
	return "User " + u.Name
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// BindingsFor returns the bindings that apply to u, in model order.
func (m *Model) BindingsFor(u User) []*Binding {
	seen := map[*Binding]bool{}
	var out []*Binding
	add := func(bs []*Binding) {
		for _, b := range bs {
			if !seen[b] {
				seen[b] = true
				out = append(out, b)
			}
		}
	}
	if u.Name != "" {
		add(m.byUser[u.Name])
	}
	for _, g := range u.Groups {
		add(m.byGroup[g])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}
