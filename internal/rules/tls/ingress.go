package tls

import (
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func ingressWithoutTLS() *rules.Rule {
	return &rules.Rule{
		ID:       "ingress-without-tls",
		Category: finding.CategoryTLS,
		Severity: finding.SeverityMedium,
		Title:    "Ingress serves hosts without TLS",
		Rationale: "Without TLS, credentials, session cookies and data cross the network in clear and can be " +
			"read or changed by anyone on the path.",
		Remediation: "Add a spec.tls entry listing every host of the Ingress with a certificate Secret (cert-manager " +
			"can issue and renew it), and redirect HTTP to HTTPS.",
		References: finding.References{
			NSA:   []string{"Network separation and hardening: encrypt traffic"},
			MITRE: []string{"T1557", "T1040"},
			URLs:  []string{tlsDocs},
		},
		Kinds: ingressKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			ing, ok := obj.Typed.(*networkingv1.Ingress)
			if !ok {
				return
			}
			if len(ing.Spec.TLS) == 0 {
				p.Reportf(obj, "spec.tls", "Ingress %q has no tls section: every host is served over plain HTTP", obj.Name)
				return
			}
			var uncovered []string
			for _, r := range ing.Spec.Rules {
				if r.Host != "" && !tlsCovers(ing.Spec.TLS, r.Host) && !slices.Contains(uncovered, r.Host) {
					uncovered = append(uncovered, r.Host)
				}
			}
			if len(uncovered) > 0 {
				p.Reportf(obj, "spec.tls", "Ingress %q serves %s without TLS: no tls entry lists them", obj.Name, strings.Join(uncovered, ", "))
			}
		},
	}
}

// tlsCovers reports whether some TLS entry lists host (wildcards match one
// label, as in certificates).
func tlsCovers(entries []networkingv1.IngressTLS, host string) bool {
	for _, e := range entries {
		for _, h := range e.Hosts {
			if hostMatches(h, host) {
				return true
			}
		}
	}
	return false
}

func hostMatches(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(host)
	if pattern == host {
		return true
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		_, after, found := strings.Cut(host, ".")
		return found && after == rest
	}
	return false
}

func gatewayHTTPOnly() *rules.Rule {
	return &rules.Rule{
		ID:       "gateway-listener-http-only",
		Category: finding.CategoryTLS,
		Severity: finding.SeverityMedium,
		Title:    "Gateway accepts plain HTTP only",
		Rationale: "A Gateway API Gateway whose listeners are all HTTP serves every route in clear: there is no " +
			"HTTPS listener to redirect to.",
		Remediation: "Add an HTTPS listener (protocol HTTPS, tls.certificateRefs to a kubernetes.io/tls Secret) and " +
			"attach an HTTPRoute on the HTTP listener that redirects to HTTPS.",
		References: finding.References{
			MITRE: []string{"T1557", "T1040"},
			URLs:  []string{"https://gateway-api.sigs.k8s.io/guides/tls/"},
		},
		Kinds: []schema.GroupKind{{Group: "gateway.networking.k8s.io", Kind: "Gateway"}},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			u, ok := obj.Unstructured()
			if !ok {
				return
			}
			listeners, _, _ := unstructured.NestedSlice(u.Object, "spec", "listeners")
			var plain []string
			for _, l := range listeners {
				m, _ := l.(map[string]any)
				proto, _, _ := unstructured.NestedString(m, "protocol")
				name, _, _ := unstructured.NestedString(m, "name")
				switch strings.ToUpper(proto) {
				case "HTTPS", "TLS":
					return
				case "HTTP":
					plain = append(plain, name)
				}
			}
			if len(plain) > 0 {
				p.Reportf(obj, "spec.listeners", "Gateway %q has only plain HTTP listeners (%s)", obj.Name, strings.Join(plain, ", "))
			}
		},
	}
}
