package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rbac"
	"github.com/kguard/kguard/internal/rules"
)

// grantRules are the risky-grant rules: each looks at every binding of the
// RBAC model and reports the binding (where the grant is made) when its
// role hands its subjects something dangerous. Rules on what a role allows
// are in grants_access.go, rules on whom a binding names in
// grants_subjects.go.
func grantRules() []*rules.Rule {
	return []*rules.Rule{
		wildcardGrant(),
		secretsRead(),
		workloadCreate(),
		podExec(),
		escalateBindImpersonate(),
		nodesProxy(),
		tokenCreate(),
		csrApprove(),
		webhookConfigWrite(),
		clusterAdminBinding(),
		anonymousOrAuthenticatedGrant(),
		defaultServiceAccountPermissions(),
		danglingBinding(),
	}
}

// grantGoodPractices is the Kubernetes guide every rule here cites.
const grantGoodPractices = "https://kubernetes.io/docs/concepts/security/rbac-good-practices/"

// grantBootstrapLabel marks the API server's default RBAC objects.
const grantBootstrapLabel = "kubernetes.io/bootstrapping"

// grantBootstrap reports whether o is one of the API server's bootstrap
// RBAC objects: named system:* or labelled kubernetes.io/bootstrapping:
// rbac-defaults. The grants they make are what the control plane needs.
func grantBootstrap(o *inventory.Object) bool {
	if o == nil {
		return false
	}
	return strings.HasPrefix(o.Name, "system:") || o.Meta != nil && o.Meta.Labels[grantBootstrapLabel] == "rbac-defaults"
}

// grantClusterAdmin reports whether ref is the cluster-admin ClusterRole.
func grantClusterAdmin(ref rbacv1.RoleRef) bool {
	return ref.Kind == "ClusterRole" && ref.Name == "cluster-admin"
}

// grantBuiltinRole reports whether ref names one of the ClusterRoles every
// cluster has, which manifests refer to without defining.
func grantBuiltinRole(ref rbacv1.RoleRef) bool {
	if ref.Kind != "ClusterRole" {
		return false
	}
	switch ref.Name {
	case "cluster-admin", "admin", "edit", "view":
		return true
	}
	return strings.HasPrefix(ref.Name, "system:")
}

// grantOwn reports whether b is one of the inputs' bindings, not one of
// the built-in policy's, which every cluster has and the user did not
// write: no rule reports those.
func grantOwn(b *rbac.Binding) bool { return !b.Builtin }

// grantReviewed reports whether the access rules look at b: it is one of
// the inputs' bindings, it grants rules to someone, and neither it nor its
// role is one of the API server's bootstrap objects (system:* or labelled
// rbac-defaults: the control plane's own grants, and the user-facing
// defaults admin, edit and view, whose contents every cluster shares).
// Bindings to cluster-admin are rbac-cluster-admin-binding's alone, so
// binding the superuser role is one finding, not one per rule here.
func grantReviewed(b *rbac.Binding) bool {
	return grantOwn(b) && len(b.Rules) > 0 && len(b.Subjects) > 0 && !grantBootstrap(b.Object) &&
		!grantBootstrap(b.Role) && !strings.HasPrefix(b.RoleRef.Name, "system:") && !grantClusterAdmin(b.RoleRef)
}

// grantSubject names a binding subject as users write it; a service
// account without a namespace is in the binding's.
func grantSubject(s rbacv1.Subject, bindingNS string) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = bindingNS
		}
		if ns != "" {
			return "ServiceAccount " + ns + "/" + s.Name
		}
	}
	return s.Kind + " " + s.Name
}

// grantSubjects names every subject of b.
func grantSubjects(b *rbac.Binding) string {
	names := make([]string, 0, len(b.Subjects))
	for _, s := range b.Subjects {
		names = append(names, grantSubject(s, b.Namespace))
	}
	return strings.Join(names, ", ")
}

// grantRoleName is the role b refers to, as "Role ns/name" or
// "ClusterRole name", marked "(built-in)" when it is the built-in policy's.
func grantRoleName(b *rbac.Binding) string {
	name := b.RoleRef.Kind + " " + b.RoleRef.Name
	if b.RoleRef.Kind == "Role" && b.Namespace != "" {
		name = "Role " + b.Namespace + "/" + b.RoleRef.Name
	}
	if b.RoleBuiltin {
		name += " " + rbac.BuiltinMark
	}
	return name
}

// grantVia is the binding chain: "RoleBinding ns/name -> ClusterRole name".
func grantVia(b *rbac.Binding) string {
	return b.Object.Ref.String() + " -> " + grantRoleName(b)
}

// grantWhere is where b grants: a RoleBinding in its namespace, even when
// it refers to a ClusterRole, a ClusterRoleBinding everywhere.
func grantWhere(b *rbac.Binding) string {
	if b.Namespace == "" {
		return "cluster-wide"
	}
	return "in namespace " + b.Namespace
}

// grantMatch decides whether one rule of b's role is the risky grant, and
// says what it lets the subjects do ("read every Secret cluster-wide").
type grantMatch func(b *rbac.Binding, r *rbacv1.PolicyRule) (what string, ok bool)

// checkGrants reports every reviewed binding one of whose rules match
// accepts, once per binding and naming the first such rule. severity, when
// set, gives the finding's severity from the binding.
func checkGrants(match grantMatch, severity func(b *rbac.Binding) finding.Severity) func(p *rules.Pass) {
	return func(p *rules.Pass) {
		m := rules.Use(p, rbac.ModelAnalysis)
		for _, b := range m.Bindings {
			if !grantReviewed(b) {
				continue
			}
			for i := range b.Rules {
				what, ok := match(b, &b.Rules[i])
				if !ok {
					continue
				}
				sev := p.Rule.Severity
				if severity != nil {
					sev = severity(b)
				}
				p.ReportSeverity(b.Object, sev, "roleRef", fmt.Sprintf("%s can %s via %s (rule: %s)",
					grantSubjects(b), what, grantVia(b), rbac.DescribeRule(b.Rules[i])))
				break
			}
		}
	}
}

// grantAccess is one request a risky rule allows.
type grantAccess struct {
	verb, group, resource, sub string
	// cluster is set for cluster-scoped resources, which a RoleBinding
	// cannot grant (the authorizer checks them outside any namespace).
	cluster bool
	// named is set when access to one named object is as risky as access
	// to all, so a rule limited by resourceNames still counts. Creating
	// is never limited by name: the API server cannot authorize a create
	// by resourceNames.
	named bool
}

// allowedBy reports whether rule r, bound by b, allows the access.
func (a grantAccess) allowedBy(b *rbac.Binding, r *rbacv1.PolicyRule) bool {
	if a.cluster && b.Namespace != "" {
		return false
	}
	req := rbac.Request{Verb: a.verb, APIGroup: a.group, Resource: a.resource, Subresource: a.sub, Namespace: b.Namespace}
	if rbac.Allows(r, &req) {
		return true
	}
	if a.named {
		for _, n := range r.ResourceNames {
			req.Name = n
			if rbac.Allows(r, &req) {
				return true
			}
		}
	}
	return false
}

// target names the access's resource as in RBAC rules: "pods/exec",
// "deployments.apps".
func (a grantAccess) target() string {
	s := a.resource
	if a.sub != "" {
		s += "/" + a.sub
	}
	if a.group != "" {
		s += "." + a.group
	}
	return s
}

// grantFirst returns the first of accesses that r allows when bound by b.
func grantFirst(b *rbac.Binding, r *rbacv1.PolicyRule, accesses []grantAccess) (grantAccess, bool) {
	i := slices.IndexFunc(accesses, func(a grantAccess) bool { return a.allowedBy(b, r) })
	if i < 0 {
		return grantAccess{}, false
	}
	return accesses[i], true
}

// grantRulesSummary lists up to three of b's rules for messages about the
// binding as a whole.
func grantRulesSummary(b *rbac.Binding) string {
	if len(b.Rules) == 0 {
		return "built-in role, not scanned"
	}
	const shown = 3
	var descs []string
	for i, r := range b.Rules {
		if i == shown {
			descs = append(descs, fmt.Sprintf("and %d more", len(b.Rules)-shown))
			break
		}
		descs = append(descs, rbac.DescribeRule(r))
	}
	label := "rules"
	if len(b.Rules) == 1 {
		label = "rule"
	}
	return label + ": " + strings.Join(descs, "; ")
}

// grantsAnything reports whether b gives its subjects any permission: its
// role has rules, or it is a built-in ClusterRole that was not scanned
// (cluster-admin, edit and the like always have rules).
func grantsAnything(b *rbac.Binding) bool {
	return len(b.Rules) > 0 || b.Missing() && grantBuiltinRole(b.RoleRef)
}
