// Package rbactest builds synthetic RBAC inventories for benchmarks.
package rbactest

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kguard/kguard/internal/inventory"
)

// Synthetic builds the scale of the RBAC performance target: 5,000 service
// accounts in 50 namespaces, 4,000 Roles, 1,000 ClusterRoles, 4,000
// RoleBindings and 1,000 ClusterRoleBindings.
func Synthetic() *inventory.Inventory {
	var objs Objects
	add := objs.Add
	resources := []string{"pods", "configmaps", "secrets", "services", "deployments", "jobs", "leases", "events"}
	verbs := [][]string{{"get", "list"}, {"get", "list", "watch"}, {"create", "update", "patch"}, {"delete"}, {"*"}}
	for i := range 5000 {
		sa := &corev1.ServiceAccount{}
		add("ServiceAccount", fmt.Sprintf("ns-%02d", i%50), fmt.Sprintf("sa-%04d", i), sa, &sa.ObjectMeta)
	}
	for i := range 4000 {
		ns := fmt.Sprintf("ns-%02d", i%50)
		r := &rbacv1.Role{Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{resources[i%len(resources)]}, Verbs: verbs[i%len(verbs)]},
			{APIGroups: []string{"apps"}, Resources: []string{resources[(i+3)%len(resources)]}, Verbs: verbs[(i+1)%len(verbs)]},
		}}
		add("Role", ns, fmt.Sprintf("role-%04d", i), r, &r.ObjectMeta)
		b := &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%04d", i)},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: fmt.Sprintf("sa-%04d", (i*7)%5000), Namespace: ns}}}
		add("RoleBinding", ns, fmt.Sprintf("rb-%04d", i), b, &b.ObjectMeta)
	}
	for i := range 1000 {
		r := &rbacv1.ClusterRole{Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{resources[i%len(resources)]}, Verbs: verbs[i%len(verbs)]}}}
		add("ClusterRole", "", fmt.Sprintf("cr-%04d", i), r, &r.ObjectMeta)
		b := &rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr-%04d", i)},
			Subjects: []rbacv1.Subject{{Kind: "Group", Name: fmt.Sprintf("group-%03d", i%100)}, {Kind: "User", Name: fmt.Sprintf("user-%03d", i)}}}
		add("ClusterRoleBinding", "", fmt.Sprintf("crb-%04d", i), b, &b.ObjectMeta)
	}
	return objs.Inventory()
}

// Objects collects synthetic ServiceAccounts and RBAC objects.
type Objects struct{ list []*inventory.Object }

// Add names typed (whose metadata is meta) and keeps it.
func (o *Objects) Add(kind, ns, name string, typed runtime.Object, meta *metav1.ObjectMeta) {
	meta.Name, meta.Namespace = name, ns
	api := "rbac.authorization.k8s.io/v1"
	if kind == "ServiceAccount" {
		api = "v1"
	}
	o.list = append(o.list, &inventory.Object{Ref: inventory.Ref{APIVersion: api, Kind: kind, Namespace: ns, Name: name}, Typed: typed, Meta: meta})
}

// Inventory indexes what was added.
func (o *Objects) Inventory() *inventory.Inventory { return inventory.New(o.list) }
