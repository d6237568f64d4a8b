package cluster

import "k8s.io/apimachinery/pkg/runtime/schema"

// DefaultResources are the resource types kguard's rules read. Only these
// are listed (when the server serves them), which keeps a scan fast and
// lets the in-cluster service account hold exactly these read permissions;
// deploy/helm/kguard's ClusterRole grants this list, and a test keeps the
// two in step.
var DefaultResources = []schema.GroupResource{
	{Group: "", Resource: "namespaces"},
	{Group: "", Resource: "nodes"},
	{Group: "", Resource: "pods"},
	{Group: "", Resource: "podtemplates"},
	{Group: "", Resource: "replicationcontrollers"},
	{Group: "", Resource: "services"},
	{Group: "", Resource: "serviceaccounts"},
	{Group: "", Resource: "configmaps"},
	{Group: "", Resource: "secrets"},
	{Group: "", Resource: "resourcequotas"},
	{Group: "", Resource: "limitranges"},
	{Group: "", Resource: "persistentvolumeclaims"},
	{Group: "apps", Resource: "deployments"},
	{Group: "apps", Resource: "statefulsets"},
	{Group: "apps", Resource: "daemonsets"},
	{Group: "apps", Resource: "replicasets"},
	{Group: "batch", Resource: "jobs"},
	{Group: "batch", Resource: "cronjobs"},
	{Group: "networking.k8s.io", Resource: "networkpolicies"},
	{Group: "networking.k8s.io", Resource: "ingresses"},
	{Group: "rbac.authorization.k8s.io", Resource: "roles"},
	{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"},
	{Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations"},
	{Group: "admissionregistration.k8s.io", Resource: "mutatingwebhookconfigurations"},
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicies"},
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicybindings"},
	{Group: "gateway.networking.k8s.io", Resource: "gateways"},
	{Group: "cert-manager.io", Resource: "certificates"},
	{Group: "velero.io", Resource: "schedules"},
	{Group: "velero.io", Resource: "backups"},
	{Group: "velero.io", Resource: "backupstoragelocations"},
}
