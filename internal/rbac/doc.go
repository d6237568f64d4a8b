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
//
// Files hold only the user's RBAC objects, while every cluster also has
// the API server's built-in policy (cluster-admin bound to system:masters,
// system:discovery for everyone authenticated, the controllers' roles...).
// For files, the inventory's baseline carries that policy (see package
// builtin); Build adds it, letting an input object of the same kind,
// namespace and name replace a built-in one, and marks what comes from it
// (Binding.Builtin, Binding.RoleBuiltin). A live cluster has its own and
// gets no baseline. Aggregated ClusterRoles (admin, edit, view and the
// inputs') get the rules the aggregation controller would write, from the
// built-in and the input roles alike.
package rbac
