package isolation

import (
	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// systemObjects are the objects Kubernetes itself keeps in every cluster's
// default namespace; CIS 5.6.4 expects only these there.
var systemObjects = map[inventory.Ref]bool{
	{APIVersion: "v1", Kind: "Service", Namespace: "default", Name: "kubernetes"}:                          true,
	{APIVersion: "v1", Kind: "Endpoints", Namespace: "default", Name: "kubernetes"}:                        true,
	{APIVersion: "discovery.k8s.io/v1", Kind: "EndpointSlice", Namespace: "default", Name: "kubernetes"}:   true,
	{APIVersion: "v1", Kind: "ServiceAccount", Namespace: "default", Name: "default"}:                      true,
	{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "kube-root-ca.crt"}:                  true,
	{APIVersion: "coordination.k8s.io/v1", Kind: "Lease", Namespace: "default", Name: "apiserver-default"}: true,
}

// generated kinds are written by the control plane, not by users.
func generated(obj *inventory.Object) bool {
	return obj.Kind == "Event" || systemObjects[obj.Ref]
}

func defaultNamespace() *rules.Rule {
	return &rules.Rule{
		ID: "default-namespace",
		// The inventory tells whether a custom kind is namespaced at all
		// (its CRD); a kind of unknown scope is not judged.
		Requires: []analysis.Key{analysis.Objects, analysis.Manifest},
		Category: finding.CategoryIsolation,
		Severity: finding.SeverityMedium,
		Title:    "Object is placed in the default namespace",
		Rationale: "The default namespace is where everything without a home ends up: it is shared by every team and " +
			"tool, usually has no Pod Security label, quota or network policy of its own, and RBAC granted there " +
			"(often broadly, for convenience) reaches all of it. Namespaces are the unit of isolation; default is not one.",
		Remediation: "Create a namespace per application or team with its own Pod Security labels, quotas, network " +
			"policies and RBAC, and set metadata.namespace to it.",
		References: finding.References{
			CIS: []string{"5.6.4"},
			NSA: []string{"Network separation and hardening: namespaces"},
			URLs: []string{
				"https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
			},
		},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			// An object put in default because it named no namespace is
			// namespace-not-set's finding, not this one's.
			if obj.Namespace != "default" || p.Manifest(obj).NamespaceDefaulted || generated(obj) {
				return
			}
			if ns, known := p.Inventory().Namespaced(obj.GroupKind()); !ns || !known {
				return
			}
			p.Reportf(obj, "metadata.namespace", "%s %q is in the default namespace", obj.Kind, obj.Name)
		},
	}
}

func namespaceNotSet() *rules.Rule {
	return &rules.Rule{
		ID:       "namespace-not-set",
		Requires: []analysis.Key{analysis.Manifest},
		Category: finding.CategoryIsolation,
		Severity: finding.SeverityInfo,
		Title:    "Namespaced object does not say which namespace it belongs in",
		Rationale: "An object without metadata.namespace lands in whatever namespace the applying tool's context " +
			"points at, which is the default namespace unless someone remembered -n. The same manifest can then " +
			"end up in different places, including default. This is informational because Helm, Kustomize and " +
			"`kubectl apply -n` set the namespace at deploy time by design.",
		Remediation: "Set metadata.namespace in the manifest, or make sure the deploy step always sets it " +
			"(Kustomize `namespace:`, `helm install -n`, `kubectl apply -n`).",
		References: finding.References{
			CIS:  []string{"5.6.4"},
			URLs: []string{"https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#setting-the-namespace-preference"},
		},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			// The loader marks namespaced objects that named none (kinds of
			// unknown scope, custom resources whose CRD was not scanned, are
			// left unmarked rather than guessed).
			if !p.Manifest(obj).NamespaceDefaulted {
				return
			}
			p.Reportf(obj, "metadata.namespace", "%s %q has no namespace: it goes wherever the deploying context points (judged as in %q)", obj.Kind, obj.Name, obj.Namespace)
		},
	}
}
