package k8sversions

// API is one group/version/kind whose serving ends (or ended) in some
// Kubernetes release.
type API struct {
	// APIVersion is "group/version" as written in manifests ("v1" for core).
	APIVersion string
	Kind       string
	// Deprecated is the release that deprecated this version of the kind
	// (the API server warns from then on).
	Deprecated Release
	// Removed is the first release that no longer serves it; zero when no
	// removal is planned (core v1 kinds are deprecated but kept).
	Removed Release
	// Replacement is what to use instead, such as "apps/v1 Deployment", or
	// a sentence when there is no drop-in replacement.
	Replacement string
	// Source names where the dates were checked.
	Source string
}

// Status says where an API stands in a given release.
type Status int

// Statuses, from harmless to broken.
const (
	// Served: not yet deprecated in that release.
	Served Status = iota
	// Deprecated: still served, but the API server warns and a removal
	// may be planned.
	Deprecated
	// Removed: the release no longer serves it; applying the manifest fails.
	Removed
)

// StatusAt reports the API's status in release r.
func (a *API) StatusAt(r Release) Status {
	switch {
	case !a.Removed.IsZero() && r.AtLeast(a.Removed):
		return Removed
	case !a.Deprecated.IsZero() && r.AtLeast(a.Deprecated):
		return Deprecated
	}
	return Served
}

type apiKey struct{ apiVersion, kind string }

var apiIndex = func() map[apiKey]*API {
	m := make(map[apiKey]*API, len(apis))
	for i := range apis {
		a := &apis[i]
		m[apiKey{a.APIVersion, a.Kind}] = a
	}
	return m
}()

// Lookup returns the table entry for an apiVersion and kind, if the pair is
// deprecated or removed in some release. It does not allocate.
func Lookup(apiVersion, kind string) (*API, bool) {
	a, ok := apiIndex[apiKey{apiVersion, kind}]
	return a, ok
}

// APIs returns a copy of the whole table, in the order it is written.
func APIs() []API {
	out := make([]API, len(apis))
	copy(out, apis)
	return out
}

// Where the dates come from. The guide lists removals; deprecation releases
// are those of the API server's own warnings, generated from the
// +k8s:prerelease-lifecycle-gen tags of each type in k8s.io/api (and
// apiextensions-apiserver / kube-aggregator), which the tests cross-check.
const (
	guide     = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
	lifecycle = "k8s.io/api prerelease-lifecycle metadata (API server deprecation warnings)"
)

func r(minor int) Release { return Release{1, minor} }

// apis is the table. Keep it grouped by the release that removes the API
// (or deprecates it, when no removal is planned); beta versions only, since
// alpha APIs are off by default and carry no deprecation promise.
var apis = []API{
	// Removed in 1.16.
	{"extensions/v1beta1", "Deployment", r(8), r(16), "apps/v1 Deployment", guide + "#deployment-v116"},
	{"extensions/v1beta1", "DaemonSet", r(8), r(16), "apps/v1 DaemonSet", guide + "#daemonset-v116"},
	{"extensions/v1beta1", "ReplicaSet", r(8), r(16), "apps/v1 ReplicaSet", guide + "#replicaset-v116"},
	{"extensions/v1beta1", "NetworkPolicy", r(9), r(16), "networking.k8s.io/v1 NetworkPolicy", guide + "#networkpolicy-v116"},
	// Deprecated by kubernetes/kubernetes#61777 (merged for 1.11) in favour
	// of policy/v1beta1, itself removed in 1.25.
	{"extensions/v1beta1", "PodSecurityPolicy", r(11), r(16), "Pod Security Admission (policy/v1beta1 PodSecurityPolicy was removed in 1.25 too)", guide + "#psp-v116"},
	{"apps/v1beta1", "Deployment", r(8), r(16), "apps/v1 Deployment", guide + "#deployment-v116"},
	{"apps/v1beta1", "StatefulSet", r(8), r(16), "apps/v1 StatefulSet", guide + "#statefulset-v116"},
	{"apps/v1beta1", "ControllerRevision", r(8), r(16), "apps/v1 ControllerRevision", lifecycle},
	{"apps/v1beta2", "Deployment", r(9), r(16), "apps/v1 Deployment", guide + "#deployment-v116"},
	{"apps/v1beta2", "StatefulSet", r(9), r(16), "apps/v1 StatefulSet", guide + "#statefulset-v116"},
	{"apps/v1beta2", "DaemonSet", r(9), r(16), "apps/v1 DaemonSet", guide + "#daemonset-v116"},
	{"apps/v1beta2", "ReplicaSet", r(9), r(16), "apps/v1 ReplicaSet", guide + "#replicaset-v116"},
	{"apps/v1beta2", "ControllerRevision", r(9), r(16), "apps/v1 ControllerRevision", lifecycle},

	// Removed in 1.22.
	{"admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration", r(16), r(22), "admissionregistration.k8s.io/v1 MutatingWebhookConfiguration", guide + "#webhook-resources-v122"},
	{"admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", r(16), r(22), "admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration", guide + "#webhook-resources-v122"},
	// The type's lifecycle tag says 1.19, but the API server has warned
	// "deprecated in v1.16+" since 1.16 (kubernetes/kubernetes#92110).
	{"apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", r(16), r(22), "apiextensions.k8s.io/v1 CustomResourceDefinition", guide + "#customresourcedefinition-v122"},
	{"apiregistration.k8s.io/v1beta1", "APIService", r(19), r(22), "apiregistration.k8s.io/v1 APIService", guide + "#apiservice-v122"},
	{"authentication.k8s.io/v1beta1", "TokenReview", r(19), r(22), "authentication.k8s.io/v1 TokenReview", guide + "#tokenreview-v122"},
	{"authorization.k8s.io/v1beta1", "LocalSubjectAccessReview", r(19), r(22), "authorization.k8s.io/v1 LocalSubjectAccessReview", guide + "#subjectaccessreview-resources-v122"},
	{"authorization.k8s.io/v1beta1", "SelfSubjectAccessReview", r(19), r(22), "authorization.k8s.io/v1 SelfSubjectAccessReview", guide + "#subjectaccessreview-resources-v122"},
	{"authorization.k8s.io/v1beta1", "SubjectAccessReview", r(19), r(22), "authorization.k8s.io/v1 SubjectAccessReview", guide + "#subjectaccessreview-resources-v122"},
	{"authorization.k8s.io/v1beta1", "SelfSubjectRulesReview", r(19), r(22), "authorization.k8s.io/v1 SelfSubjectRulesReview", guide + "#subjectaccessreview-resources-v122"},
	{"certificates.k8s.io/v1beta1", "CertificateSigningRequest", r(19), r(22), "certificates.k8s.io/v1 CertificateSigningRequest", guide + "#certificatesigningrequest-v122"},
	{"coordination.k8s.io/v1beta1", "Lease", r(19), r(22), "coordination.k8s.io/v1 Lease", guide + "#lease-v122"},
	{"extensions/v1beta1", "Ingress", r(14), r(22), "networking.k8s.io/v1 Ingress", guide + "#ingress-v122"},
	{"networking.k8s.io/v1beta1", "Ingress", r(19), r(22), "networking.k8s.io/v1 Ingress", guide + "#ingress-v122"},
	{"networking.k8s.io/v1beta1", "IngressClass", r(19), r(22), "networking.k8s.io/v1 IngressClass", guide + "#ingressclass-v122"},
	{"rbac.authorization.k8s.io/v1beta1", "ClusterRole", r(17), r(22), "rbac.authorization.k8s.io/v1 ClusterRole", guide + "#rbac-resources-v122"},
	{"rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding", r(17), r(22), "rbac.authorization.k8s.io/v1 ClusterRoleBinding", guide + "#rbac-resources-v122"},
	{"rbac.authorization.k8s.io/v1beta1", "Role", r(17), r(22), "rbac.authorization.k8s.io/v1 Role", guide + "#rbac-resources-v122"},
	{"rbac.authorization.k8s.io/v1beta1", "RoleBinding", r(17), r(22), "rbac.authorization.k8s.io/v1 RoleBinding", guide + "#rbac-resources-v122"},
	{"scheduling.k8s.io/v1beta1", "PriorityClass", r(14), r(22), "scheduling.k8s.io/v1 PriorityClass", guide + "#priorityclass-v122"},
	{"storage.k8s.io/v1beta1", "CSIDriver", r(19), r(22), "storage.k8s.io/v1 CSIDriver", guide + "#storage-resources-v122"},
	{"storage.k8s.io/v1beta1", "CSINode", r(17), r(22), "storage.k8s.io/v1 CSINode", guide + "#storage-resources-v122"},
	{"storage.k8s.io/v1beta1", "StorageClass", r(19), r(22), "storage.k8s.io/v1 StorageClass", guide + "#storage-resources-v122"},
	{"storage.k8s.io/v1beta1", "VolumeAttachment", r(19), r(22), "storage.k8s.io/v1 VolumeAttachment", guide + "#storage-resources-v122"},

	// Removed in 1.25.
	{"batch/v1beta1", "CronJob", r(21), r(25), "batch/v1 CronJob", guide + "#cronjob-v125"},
	{"discovery.k8s.io/v1beta1", "EndpointSlice", r(21), r(25), "discovery.k8s.io/v1 EndpointSlice", guide + "#endpointslice-v125"},
	{"events.k8s.io/v1beta1", "Event", r(22), r(25), "events.k8s.io/v1 Event", guide + "#event-v125"},
	{"autoscaling/v2beta1", "HorizontalPodAutoscaler", r(22), r(25), "autoscaling/v2 HorizontalPodAutoscaler", guide + "#horizontalpodautoscaler-v125"},
	{"policy/v1beta1", "PodDisruptionBudget", r(21), r(25), "policy/v1 PodDisruptionBudget", guide + "#poddisruptionbudget-v125"},
	{"policy/v1beta1", "PodSecurityPolicy", r(21), r(25), "Pod Security Admission (namespace labels pod-security.kubernetes.io/*)", guide + "#psp-v125"},
	{"node.k8s.io/v1beta1", "RuntimeClass", r(22), r(25), "node.k8s.io/v1 RuntimeClass", guide + "#runtimeclass-v125"},

	// Removed in 1.26.
	{"autoscaling/v2beta2", "HorizontalPodAutoscaler", r(23), r(26), "autoscaling/v2 HorizontalPodAutoscaler", guide + "#horizontalpodautoscaler-v126"},
	{"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", r(23), r(26), "flowcontrol.apiserver.k8s.io/v1 FlowSchema", guide + "#flowcontrol-resources-v126"},
	{"flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration", r(23), r(26), "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration", guide + "#flowcontrol-resources-v126"},

	// Removed in 1.27.
	{"storage.k8s.io/v1beta1", "CSIStorageCapacity", r(24), r(27), "storage.k8s.io/v1 CSIStorageCapacity", guide + "#csistoragecapacity-v127"},

	// Removed in 1.29.
	{"flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", r(26), r(29), "flowcontrol.apiserver.k8s.io/v1 FlowSchema", guide + "#flowcontrol-resources-v129"},
	{"flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", r(26), r(29), "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration", guide + "#flowcontrol-resources-v129"},

	// Removed in 1.32.
	{"flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", r(29), r(32), "flowcontrol.apiserver.k8s.io/v1 FlowSchema", guide + "#flowcontrol-resources-v132"},
	{"flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", r(29), r(32), "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration", guide + "#flowcontrol-resources-v132"},

	// Later beta removals, from the lifecycle metadata of k8s.io/api
	// v0.37 (the API server stops serving a beta type at its "removed"
	// release; the guide had not listed these when the table was written).
	{"authentication.k8s.io/v1beta1", "SelfSubjectReview", r(30), r(33), "authentication.k8s.io/v1 SelfSubjectReview", lifecycle},
	{"admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy", r(31), r(34), "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy", lifecycle},
	{"admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicyBinding", r(31), r(34), "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding", lifecycle},
	{"networking.k8s.io/v1beta1", "IPAddress", r(34), r(37), "networking.k8s.io/v1 IPAddress", lifecycle},
	{"networking.k8s.io/v1beta1", "ServiceCIDR", r(34), r(37), "networking.k8s.io/v1 ServiceCIDR", lifecycle},
	{"storage.k8s.io/v1beta1", "VolumeAttributesClass", r(34), r(37), "storage.k8s.io/v1 VolumeAttributesClass", lifecycle},
	{"resource.k8s.io/v1beta1", "DeviceClass", r(35), r(38), "resource.k8s.io/v1 DeviceClass", lifecycle},
	{"resource.k8s.io/v1beta1", "ResourceClaim", r(35), r(38), "resource.k8s.io/v1 ResourceClaim", lifecycle},
	{"resource.k8s.io/v1beta1", "ResourceClaimTemplate", r(35), r(38), "resource.k8s.io/v1 ResourceClaimTemplate", lifecycle},
	{"resource.k8s.io/v1beta1", "ResourceSlice", r(35), r(38), "resource.k8s.io/v1 ResourceSlice", lifecycle},
	{"resource.k8s.io/v1beta2", "DeviceClass", r(36), r(39), "resource.k8s.io/v1 DeviceClass", lifecycle},
	{"resource.k8s.io/v1beta2", "ResourceClaim", r(36), r(39), "resource.k8s.io/v1 ResourceClaim", lifecycle},
	{"resource.k8s.io/v1beta2", "ResourceClaimTemplate", r(36), r(39), "resource.k8s.io/v1 ResourceClaimTemplate", lifecycle},
	{"resource.k8s.io/v1beta2", "ResourceSlice", r(36), r(39), "resource.k8s.io/v1 ResourceSlice", lifecycle},
	{"coordination.k8s.io/v1beta1", "LeaseCandidate", r(36), r(39), "no GA version yet: stop creating LeaseCandidate objects by hand (the control plane manages them)", lifecycle},
	{"admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicy", r(37), r(40), "admissionregistration.k8s.io/v1 MutatingAdmissionPolicy", lifecycle},
	{"admissionregistration.k8s.io/v1beta1", "MutatingAdmissionPolicyBinding", r(37), r(40), "admissionregistration.k8s.io/v1 MutatingAdmissionPolicyBinding", lifecycle},
	{"certificates.k8s.io/v1beta1", "ClusterTrustBundle", r(37), r(40), "certificates.k8s.io/v1 ClusterTrustBundle", lifecycle},
	{"certificates.k8s.io/v1beta1", "PodCertificateRequest", r(37), r(40), "certificates.k8s.io/v1 PodCertificateRequest", lifecycle},
	{"storagemigration.k8s.io/v1beta1", "StorageVersionMigration", r(37), r(40), "storagemigration.k8s.io/v1 StorageVersionMigration", lifecycle},

	// Core kinds: deprecated, no removal planned (core/v1 is GA).
	{"v1", "ComponentStatus", r(19), Release{}, "the API server's /livez and /readyz endpoints (and the components' own health endpoints)", lifecycle},
	{"v1", "Endpoints", r(33), Release{}, "discovery.k8s.io/v1 EndpointSlice", lifecycle},
}
