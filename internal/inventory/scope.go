package inventory

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// clusterScoped lists the built-in kinds that live outside namespaces.
// Every other built-in kind is namespaced, so this list (not a list of
// namespaced kinds) is what must be kept current; a test compares it with
// a real API server's discovery.
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
	add("internal.apiserver.k8s.io", "StorageVersion")
	add("authentication.k8s.io", "TokenReview", "SelfSubjectReview")
	add("authorization.k8s.io", "SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview")
	add("gateway.networking.k8s.io", "GatewayClass")
	add("wgpolicyk8s.io", "ClusterPolicyReport")
	return m
}()

// BuiltinClusterScoped reports whether gk is a built-in (or well-known)
// kind that lives outside namespaces.
func BuiltinClusterScoped(gk schema.GroupKind) bool { return clusterScoped[gk] }

// Namespaced reports whether objects of gk live in a namespace, and whether
// kguard can tell at all: built-in kinds are known, custom kinds are known
// when their CustomResourceDefinition is in the inventory, and a kind
// kguard decodes into a typed struct is namespaced unless listed above.
func (inv *Inventory) Namespaced(gk schema.GroupKind) (namespaced, known bool) {
	if clusterScoped[gk] {
		return false, true
	}
	if ns, ok := inv.crdScopes()[gk]; ok {
		return ns, true
	}
	if objs := inv.byKind[gk]; len(objs) > 0 {
		// Typed kinds not listed above are namespaced; so are custom
		// resources that run pods from a template, like the pods they make.
		if _, isUnstructured := objs[0].Unstructured(); !isUnstructured || listedWorkload(objs[0]) {
			return true, true
		}
	}
	return false, false
}

// crdScopes maps the kinds the inventory's CustomResourceDefinitions
// define to whether they are namespaced; built on first use.
func (inv *Inventory) crdScopes() map[schema.GroupKind]bool {
	inv.crdOnce.Do(func() {
		inv.crds = crdScopes(inv.ByKind("apiextensions.k8s.io", "CustomResourceDefinition"))
	})
	return inv.crds
}

func crdScopes(crds []*Object) map[schema.GroupKind]bool {
	m := map[schema.GroupKind]bool{}
	for _, o := range crds {
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
}

// DefaultNamespaces puts every namespaced object that names no namespace
// into ns ("default" when empty), where kubectl apply -n and helm install
// -n would create it, and marks it NamespaceDefaulted, so that every rule
// and command judges it in the same place. Objects of a kind whose scope
// is unknown (a custom resource without its CRD, unless it runs pods from a
// template, resolved before) are left as they are.
// Call it before New: the inventory indexes objects by namespace.
func DefaultNamespaces(objs []*Object, ns string) {
	if ns == "" {
		ns = "default"
	}
	var crds []*Object
	for _, o := range objs {
		if o.Group() == "apiextensions.k8s.io" && o.Kind == "CustomResourceDefinition" {
			crds = append(crds, o)
		}
	}
	scopes := crdScopes(crds)
	for _, o := range objs {
		if o.Namespace != "" {
			continue
		}
		gk := o.GroupKind()
		namespaced, known := !clusterScoped[gk], true
		if _, isUnstructured := o.Unstructured(); isUnstructured && !clusterScoped[gk] && !listedWorkload(o) {
			namespaced, known = scopes[gk]
		}
		if !known || !namespaced {
			continue
		}
		o.Namespace, o.NamespaceDefaulted = ns, true
		if u, ok := o.Unstructured(); ok {
			u.SetNamespace(ns)
		}
		if o.Meta != nil {
			o.Meta.Namespace = ns
		}
	}
}

// listedWorkload reports a custom resource of a kind known to run pods
// from a template (an Argo Rollout): namespaced, like its pods.
func listedWorkload(o *Object) bool { return o.PodTemplate != nil && o.PodTemplate.Listed }
