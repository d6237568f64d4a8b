package isolation

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// clusterScoped lists the built-in kinds that live outside namespaces.
// Every other kind client-go decodes into a typed struct is namespaced, so
// this list (not a list of namespaced kinds) is what must be kept current.
var clusterScoped = func() map[schema.GroupKind]bool {
	m := map[schema.GroupKind]bool{}
	add := func(group string, kinds ...string) {
		for _, k := range kinds {
			m[schema.GroupKind{Group: group, Kind: k}] = true
		}
	}
	add("", "Namespace", "Node", "PersistentVolume", "ComponentStatus")
	add("rbac.authorization.k8s.io", "ClusterRole", "ClusterRoleBinding")
	add("storage.k8s.io", "StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass")
	add("apiextensions.k8s.io", "CustomResourceDefinition")
	add("apiregistration.k8s.io", "APIService")
	add("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding")
	add("scheduling.k8s.io", "PriorityClass")
	add("node.k8s.io", "RuntimeClass")
	add("networking.k8s.io", "IngressClass", "IPAddress", "ServiceCIDR")
	add("policy", "PodSecurityPolicy")
	add("extensions", "PodSecurityPolicy")
	add("flowcontrol.apiserver.k8s.io", "FlowSchema", "PriorityLevelConfiguration")
	add("certificates.k8s.io", "CertificateSigningRequest", "ClusterTrustBundle")
	add("resource.k8s.io", "DeviceClass", "ResourceSlice", "DeviceTaintRule")
	add("storagemigration.k8s.io", "StorageVersionMigration")
	add("authentication.k8s.io", "TokenReview", "SelfSubjectReview")
	add("authorization.k8s.io", "SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview")
	add("gateway.networking.k8s.io", "GatewayClass")
	return m
}()

// wellKnownWorkloads are the kinds of extract.WellKnownTemplates.
var wellKnownWorkloads = func() map[schema.GroupKind]bool {
	m := map[schema.GroupKind]bool{}
	for _, k := range extract.WellKnownTemplates() {
		m[schema.GroupKind{Group: k.Group, Kind: k.Kind}] = true
	}
	return m
}()

// crdScopes maps the kinds that the scanned CustomResourceDefinitions
// define to whether they are namespaced. Built once per scan, and only when
// an object of a kind kguard does not know asks for its scope.
var crdScopes = analysis.Analysis[map[schema.GroupKind]bool]{
	Name: "crd-scopes",
	Build: func(inv *inventory.Inventory) map[schema.GroupKind]bool {
		m := map[schema.GroupKind]bool{}
		for _, o := range inv.ByKind("apiextensions.k8s.io", "CustomResourceDefinition") {
			u, ok := o.Unstructured()
			if !ok {
				continue
			}
			group, _, _ := unstructured.NestedString(u.Object, "spec", "group")
			kind, _, _ := unstructured.NestedString(u.Object, "spec", "names", "kind")
			scope, _, _ := unstructured.NestedString(u.Object, "spec", "scope")
			if kind == "" {
				continue
			}
			// v1beta1 CRDs defaulted an empty scope to Namespaced.
			m[schema.GroupKind{Group: group, Kind: kind}] = scope != "Cluster"
		}
		return m
	},
}

// namespaced reports whether objects of obj's kind live in a namespace,
// and whether kguard can tell at all: a custom resource whose CRD was not
// scanned has an unknown scope.
func namespaced(p *rules.Pass, obj *inventory.Object) (isNamespaced, known bool) {
	gk := obj.GroupKind()
	if clusterScoped[gk] {
		return false, true
	}
	if _, isUnstructured := obj.Unstructured(); !isUnstructured {
		return true, true
	}
	// The well-known custom resources that run pods from a template (Argo
	// Rollouts, OpenKruise, Knative, ...) are namespaced, like the pods
	// they make: judged like Deployments even when their CRD is not scanned.
	if wellKnownWorkloads[gk] {
		return true, true
	}
	ns, ok := rules.Use(p, &crdScopes)[gk]
	return ns, ok
}
