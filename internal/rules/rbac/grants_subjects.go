package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rbac"
	"github.com/kguard/kguard/internal/rules"
)

// The rules in this file judge whom a binding grants to, and whether what
// it names exists.

func clusterAdminBinding() *rules.Rule {
	return &rules.Rule{
		ID:       "rbac-cluster-admin-binding",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityHigh,
		Title:    "Binding grants cluster-admin",
		Rationale: "cluster-admin allows every verb on every resource: a ClusterRoleBinding makes its subjects " +
			"superusers, a RoleBinding gives them full control of the namespace, Secrets and RBAC included. A " +
			"leaked credential of any of them is the whole cluster (or namespace).",
		Remediation: "Bind a role with the permissions the subject needs (admin or edit in a namespace, or a " +
			"custom Role); keep cluster-admin for break-glass accounts, outside day-to-day use.",
		References: finding.References{
			CIS:   []string{"5.1.1"},
			MITRE: []string{"T1078", "T1098"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: func(p *rules.Pass) {
			m := rules.Use(p, rbac.ModelAnalysis)
			for _, b := range m.Bindings {
				if !grantOwn(b) || !grantClusterAdmin(b.RoleRef) || grantBootstrap(b.Object) {
					continue
				}
				// system:masters is a superuser group anyway.
				var who []string
				for _, s := range b.Subjects {
					if s.Kind != rbacv1.GroupKind || s.Name != rbac.Masters {
						who = append(who, grantSubject(s, b.Namespace))
					}
				}
				if len(who) == 0 {
					continue
				}
				where := "in the cluster"
				if b.Namespace != "" {
					where = "in namespace " + b.Namespace
				}
				p.Reportf(b.Object, "roleRef", "%s can do anything %s via %s", strings.Join(who, ", "), where, grantVia(b))
			}
		},
	}
}

// publicGroups are the subjects that stand for everyone (or every
// unauthenticated request), with what they mean and how bad a grant is.
var publicGroups = []struct {
	kind, name, who string
	severity        finding.Severity
}{
	{rbacv1.UserKind, "system:anonymous", "every unauthenticated request", finding.SeverityCritical},
	{rbacv1.GroupKind, "system:unauthenticated", "every unauthenticated request", finding.SeverityCritical},
	{rbacv1.GroupKind, "system:authenticated", "every authenticated user and service account", finding.SeverityHigh},
	{rbacv1.GroupKind, "system:serviceaccounts", "every service account of every namespace", finding.SeverityHigh},
}

func anonymousOrAuthenticatedGrant() *rules.Rule {
	return &rules.Rule{
		ID:       "rbac-anonymous-or-authenticated-grant",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityCritical,
		Title:    "Binding grants to anonymous users or to everyone authenticated",
		Rationale: "system:anonymous and system:unauthenticated are whoever reaches the API server without " +
			"credentials (critical); system:authenticated and system:serviceaccounts include every user and " +
			"every pod's token in the cluster (high). Anything bound to them is granted to an intruder's first " +
			"foothold.",
		Remediation: "Bind the role to the users, groups or service accounts that need it, never to these " +
			"groups; leave the built-in system: bindings (discovery, basic-user, public-info-viewer) as they are.",
		References: finding.References{
			MITRE: []string{"T1078.001"},
			URLs:  []string{grantGoodPractices},
		},
		CheckInventory: func(p *rules.Pass) {
			m := rules.Use(p, rbac.ModelAnalysis)
			for _, b := range m.Bindings {
				if !grantOwn(b) || grantBootstrap(b.Object) || !grantsAnything(b) {
					continue
				}
				var who []string
				sev, field := finding.SeverityInfo, ""
				for i, s := range b.Subjects {
					for _, g := range publicGroups {
						if s.Kind != g.kind || s.Name != g.name {
							continue
						}
						who = append(who, fmt.Sprintf("%s %s (%s)", s.Kind, s.Name, g.who))
						if g.severity > sev {
							sev, field = g.severity, fmt.Sprintf("subjects[%d]", i)
						}
					}
				}
				if len(who) == 0 {
					continue
				}
				p.ReportSeverity(b.Object, sev, field, fmt.Sprintf("%s can use the role's permissions %s via %s (%s)",
					strings.Join(who, ", "), grantWhere(b), grantVia(b), grantRulesSummary(b)))
			}
		},
	}
}

func defaultServiceAccountPermissions() *rules.Rule {
	return &rules.Rule{
		ID:       "rbac-default-serviceaccount-permissions",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityMedium,
		Title:    "Binding grants permissions to a default service account",
		Rationale: "Every pod that names no service account runs as its namespace's default one and, unless " +
			"automounting is off, carries its token: a permission granted to it is granted to all of those pods " +
			"and to whoever compromises any of them.",
		Remediation: "Create a service account for the workload that needs the permissions, bind the role to it " +
			"and set serviceAccountName; leave default without bindings and with " +
			"automountServiceAccountToken: false.",
		References: finding.References{
			CIS:   []string{"5.1.5", "5.1.6"},
			MITRE: []string{"T1078.001", "T1528"},
			URLs: []string{grantGoodPractices,
				"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"},
		},
		CheckInventory: func(p *rules.Pass) {
			m := rules.Use(p, rbac.ModelAnalysis)
			for _, b := range m.Bindings {
				if !grantOwn(b) || grantBootstrap(b.Object) || !grantsAnything(b) {
					continue
				}
				var who []string
				field := ""
				for i, s := range b.Subjects {
					if s.Kind != rbacv1.ServiceAccountKind || s.Name != "default" {
						continue
					}
					if field == "" {
						field = fmt.Sprintf("subjects[%d]", i)
					}
					who = append(who, grantSubject(s, b.Namespace))
				}
				if len(who) == 0 {
					continue
				}
				p.Reportf(b.Object, field, "%s can use the role's permissions %s via %s (%s); every pod that names "+
					"no service account runs with them", strings.Join(who, ", "), grantWhere(b), grantVia(b), grantRulesSummary(b))
			}
		},
	}
}

func danglingBinding() *rules.Rule {
	return &rules.Rule{
		ID:       "rbac-dangling-binding",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityLow,
		Title:    "Binding refers to a role or service account that does not exist",
		Rationale: "A binding to a missing role or service account grants nothing today, but whoever later " +
			"creates one of that name inherits the grant, or decides what it grants. A missing role is only " +
			"reported when roles were scanned at all, a missing service account only when its namespace's " +
			"service accounts were; a binding to a missing system: ClusterRole is reported when kguard knows " +
			"the built-in ones (its built-in policy for files, or a live cluster's own).",
		Remediation: "Delete the binding if its role or subject is gone for good; otherwise create what it " +
			"refers to, or fix the name.",
		References: finding.References{
			MITRE: []string{"T1098"},
			URLs: []string{grantGoodPractices,
				"https://kubernetes.io/docs/reference/access-authn-authz/rbac/"},
		},
		CheckInventory: func(p *rules.Pass) {
			m := rules.Use(p, rbac.ModelAnalysis)
			clusterRoles := p.Inventory().ByKind(rbacv1.GroupName, "ClusterRole")
			rolesScanned := len(clusterRoles)+len(p.Inventory().ByKind(rbacv1.GroupName, "Role")) > 0
			// Manifests bind cluster-admin, edit or system:* ClusterRoles
			// without defining them: they are known when the model has the
			// built-in policy, or when a cluster dump was scanned.
			defaultsScanned := m.HasBuiltins()
			for _, o := range clusterRoles {
				defaultsScanned = defaultsScanned || grantBootstrap(o)
			}
			accounts, accountNamespaces := map[string]bool{}, map[string]bool{}
			for _, o := range m.ServiceAccounts {
				accounts[o.Namespace+"/"+o.Name] = true
				accountNamespaces[o.Namespace] = true
			}
			for _, b := range m.Bindings {
				if !grantOwn(b) || grantBootstrap(b.Object) {
					continue
				}
				var problems []string
				field := ""
				builtinName := grantBuiltinRole(b.RoleRef)
				if b.Missing() && (builtinName && defaultsScanned || !builtinName && rolesScanned) {
					field = "roleRef"
					switch {
					case b.RoleRef.Kind != "Role" && b.RoleRef.Kind != "ClusterRole":
						problems = append(problems, fmt.Sprintf("roleRef kind %q is neither Role nor ClusterRole", b.RoleRef.Kind))
					case len(b.Subjects) > 0:
						problems = append(problems, fmt.Sprintf("%s does not exist; whoever creates it decides what %s may do",
							grantRoleName(b), grantSubjects(b)))
					default:
						problems = append(problems, grantRoleName(b)+" does not exist")
					}
				}
				var missing []string
				for i, s := range b.Subjects {
					ns := s.Namespace
					if ns == "" {
						ns = b.Namespace
					}
					// Every namespace has a default service account.
					if s.Kind != rbacv1.ServiceAccountKind || s.Name == "default" || !accountNamespaces[ns] || accounts[ns+"/"+s.Name] {
						continue
					}
					if field == "" {
						field = fmt.Sprintf("subjects[%d]", i)
					}
					missing = append(missing, grantSubject(s, b.Namespace))
				}
				switch {
				case len(missing) == 1:
					problems = append(problems, missing[0]+" does not exist; whoever creates it gets the grant")
				case len(missing) > 1:
					problems = append(problems, strings.Join(missing, ", ")+" do not exist; whoever creates them gets the grant")
				}
				if len(problems) > 0 {
					p.Reportf(b.Object, field, "%s: %s", grantVia(b), strings.Join(problems, "; "))
				}
			}
		},
	}
}
