// Package builtin holds the built-in RBAC policy of recent Kubernetes
// releases: the ClusterRoles (cluster-admin, admin, edit, view and the
// system: roles, the controllers' included), ClusterRoleBindings (such as
// system:masters to cluster-admin and system:authenticated to
// system:basic-user) and the Roles and RoleBindings of kube-system and
// kube-public that the API server creates at startup in every cluster.
//
// The data is generated from each release's own bootstrap policy package
// by hack/gen-builtin-rbac.sh, never written by hand, and embedded: one
// file per minor release under data/, each naming the k8s.io/kubernetes
// version it came from. A drift test regenerates the files and compares.
//
// Manifests refer to these objects without holding them, so the RBAC model
// of files adds them as the inventory's baseline (Attach); a live cluster
// has its own and gets none. A release kguard has no data for gets the
// nearest one's (Nearest).
package builtin
