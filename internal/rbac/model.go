package rbac

import (
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

	order int // position in Model.Bindings
}

// Missing reports a binding whose role was not found.
func (b *Binding) Missing() bool { return b.Role == nil }

// Model is the RBAC state of an inventory.
type Model struct {
	Bindings []*Binding
	// Roles and ClusterRoles by key, with their effective rules.
	roles map[roleKey]*role
	// bySubject indexes bindings by subject key for fast lookups.
	byUser, byGroup map[string][]*Binding
	// ServiceAccounts are the ServiceAccount objects of the inventory.
	ServiceAccounts []*inventory.Object
}

type roleKey struct{ kind, namespace, name string }

type role struct {
	obj   *inventory.Object
	rules []rbacv1.PolicyRule
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

// Build reads the RBAC objects of inv.
func Build(inv *inventory.Inventory) *Model {
	m := &Model{roles: map[roleKey]*role{}, byUser: map[string][]*Binding{}, byGroup: map[string][]*Binding{}}
	var aggregated []*rbacv1.ClusterRole
	for _, o := range inv.ByKind(rbacv1.GroupName, "Role") {
		if r, ok := o.Typed.(*rbacv1.Role); ok {
			m.roles[roleKey{"Role", o.Namespace, o.Name}] = &role{obj: o, rules: r.Rules}
		}
	}
	for _, o := range inv.ByKind(rbacv1.GroupName, "ClusterRole") {
		if r, ok := o.Typed.(*rbacv1.ClusterRole); ok {
			m.roles[roleKey{"ClusterRole", "", o.Name}] = &role{obj: o, rules: r.Rules}
			if r.AggregationRule != nil {
				aggregated = append(aggregated, r)
			}
		}
	}
	m.aggregate(inv, aggregated)
	for _, o := range inv.ByKind(rbacv1.GroupName, "RoleBinding") {
		if b, ok := o.Typed.(*rbacv1.RoleBinding); ok {
			m.addBinding(o, o.Namespace, b.Subjects, b.RoleRef)
		}
	}
	for _, o := range inv.ByKind(rbacv1.GroupName, "ClusterRoleBinding") {
		if b, ok := o.Typed.(*rbacv1.ClusterRoleBinding); ok {
			m.addBinding(o, "", b.Subjects, b.RoleRef)
		}
	}
	m.ServiceAccounts = inv.ByKind("", "ServiceAccount")
	return m
}

// aggregate resolves aggregated ClusterRoles as the aggregation controller
// does: the union of the rules of every ClusterRole matching one of the
// selectors. A live cluster has already written them into .rules; manifests
// usually have not, so both are merged (duplicates are harmless).
func (m *Model) aggregate(inv *inventory.Inventory, aggregated []*rbacv1.ClusterRole) {
	for _, agg := range aggregated {
		target := m.roles[roleKey{"ClusterRole", "", agg.Name}]
		var sels []labels.Selector
		for _, ls := range agg.AggregationRule.ClusterRoleSelectors {
			if sel, err := metav1.LabelSelectorAsSelector(&ls); err == nil {
				sels = append(sels, sel)
			}
		}
		var names []string
		for _, o := range inv.ByKind(rbacv1.GroupName, "ClusterRole") {
			if o.Name == agg.Name {
				continue
			}
			for _, sel := range sels {
				if !sel.Empty() && sel.Matches(labels.Set(o.Meta.Labels)) {
					names = append(names, o.Name)
					break
				}
			}
		}
		sort.Strings(names) // the controller's order, and deterministic
		for _, n := range names {
			if src, ok := m.roles[roleKey{"ClusterRole", "", n}]; ok {
				target.rules = append(target.rules, src.rules...)
			}
		}
	}
}

func (m *Model) addBinding(o *inventory.Object, ns string, subjects []rbacv1.Subject, ref rbacv1.RoleRef) {
	b := &Binding{Object: o, Namespace: ns, Subjects: subjects, RoleRef: ref, order: len(m.Bindings)}
	key := roleKey{ref.Kind, "", ref.Name}
	if ref.Kind == "Role" {
		key.namespace = ns
	}
	if r, ok := m.roles[key]; ok && (ref.Kind == "Role" || ref.Kind == "ClusterRole") {
		b.Role, b.Rules = r.obj, r.rules
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
