package podsecurity

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/inventory"
)

// grants is who the scanned RoleBindings and ClusterRoleBindings name as
// subjects: service accounts ("ns/name"), and groups, which may cover all
// service accounts or those of one namespace.
type grants struct {
	accounts map[string]bool
	groups   map[string]bool
}

// granted reports whether a binding names the service account, directly or
// through the groups every service account belongs to.
func (g grants) granted(ns, name string) bool {
	return g.accounts[ns+"/"+name] || g.groups["system:serviceaccounts"] ||
		g.groups["system:serviceaccounts:"+ns]
}

var boundAccounts = &analysis.Analysis[grants]{
	Name: "podsecurity.boundAccounts",
	Build: func(inv *inventory.Inventory) grants {
		g := grants{accounts: map[string]bool{}, groups: map[string]bool{}}
		add := func(bindingNS string, subjects []rbacv1.Subject) {
			for _, s := range subjects {
				switch s.Kind {
				case rbacv1.ServiceAccountKind:
					ns := s.Namespace
					if ns == "" {
						ns = bindingNS
					}
					g.accounts[ns+"/"+s.Name] = true
				case rbacv1.UserKind:
					// A service account can be named as a user too.
					if rest, ok := strings.CutPrefix(s.Name, "system:serviceaccount:"); ok {
						g.accounts[strings.Replace(rest, ":", "/", 1)] = true
					}
				case rbacv1.GroupKind:
					g.groups[s.Name] = true
				}
			}
		}
		// The API server's own bootstrap bindings (system:*) grant every
		// account discovery and the like; they do not mean a pod needs
		// its token.
		for _, o := range inv.ByKind(rbacv1.GroupName, "RoleBinding") {
			if b, ok := o.Typed.(*rbacv1.RoleBinding); ok && !strings.HasPrefix(o.Name, "system:") {
				add(o.Namespace, b.Subjects)
			}
		}
		for _, o := range inv.ByKind(rbacv1.GroupName, "ClusterRoleBinding") {
			if b, ok := o.Typed.(*rbacv1.ClusterRoleBinding); ok && !strings.HasPrefix(o.Name, "system:") {
				add("", b.Subjects)
			}
		}
		return g
	},
}
