// Package rbac evaluates Kubernetes RBAC the way the API server's RBAC
// authorizer does, over the Roles, ClusterRoles (aggregated ones resolved
// from their label selectors), RoleBindings and ClusterRoleBindings of an
// inventory: which rules a user, group or service account holds, through
// which binding, whether a request is allowed, and who may make it.
//
// The semantics follow k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac:
// verbs, API groups, resources with subresources ("pods/exec", "*/scale"),
// resourceNames, nonResourceURLs with a trailing "*", wildcards, a
// RoleBinding to a ClusterRole granting within its namespace, service
// account subjects defaulting to the binding's namespace, the implicit
// groups of authenticated users and service accounts, and system:masters.
// Bindings to roles that do not exist grant nothing and are recorded.
package rbac
