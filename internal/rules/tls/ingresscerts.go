package tls

import (
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// eachIngressCert calls fn for every TLS entry of an Ingress whose Secret
// was scanned and holds a certificate.
func eachIngressCert(p *rules.Pass, obj *inventory.Object, fn func(i int, entry networkingv1.IngressTLS, info *certInfo)) {
	ing, ok := obj.Typed.(*networkingv1.Ingress)
	if !ok {
		return
	}
	certs := rules.Use(p, certsBySecret)
	for i, e := range ing.Spec.TLS {
		if info, ok := certs[obj.Namespace+"/"+e.SecretName]; ok && e.SecretName != "" {
			fn(i, e, info)
		}
	}
}

func ingressSelfSigned() *rules.Rule {
	return &rules.Rule{
		ID:       "ingress-tls-self-signed",
		Requires: []analysis.Key{certsBySecret},
		Category: finding.CategoryTLS,
		Severity: finding.SeverityMedium,
		Title:    "Ingress serves a self-signed certificate",
		Rationale: "Clients cannot tell a self-signed certificate from an attacker's: users are trained to accept " +
			"warnings and automated clients are configured to skip verification, which removes TLS's protection.",
		Remediation: "Serve a certificate from a public CA (cert-manager with Let's Encrypt) or, for internal " +
			"services, from an internal CA whose root the clients trust.",
		References: certRefs,
		Kinds:      ingressKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			eachIngressCert(p, obj, func(i int, e networkingv1.IngressTLS, info *certInfo) {
				if selfSigned(info.leaf()) {
					p.Reportf(obj, "spec.tls["+itoa(i)+"].secretName", "Secret %q holds a self-signed %s", e.SecretName, describe(info.leaf()))
				}
			})
		},
	}
}

func ingressHostMismatch() *rules.Rule {
	return &rules.Rule{
		ID:       "ingress-tls-host-mismatch",
		Requires: []analysis.Key{certsBySecret},
		Category: finding.CategoryTLS,
		Severity: finding.SeverityHigh,
		Title:    "Ingress TLS host is not covered by its certificate",
		Rationale: "For a host missing from the certificate's subject alternative names every client reports a " +
			"name mismatch: the site is broken, or clients are set to ignore the error.",
		Remediation: "Reissue the certificate with every host of the tls entry as a DNS name (cert-manager takes " +
			"them from the Ingress), or split the hosts into entries with their own Secrets.",
		References: certRefs,
		Kinds:      ingressKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			eachIngressCert(p, obj, func(i int, e networkingv1.IngressTLS, info *certInfo) {
				var missing []string
				for _, h := range e.Hosts {
					if info.leaf().VerifyHostname(h) != nil {
						missing = append(missing, h)
					}
				}
				if len(missing) > 0 {
					p.Reportf(obj, "spec.tls["+itoa(i)+"].hosts", "%s in Secret %q does not cover %s", describe(info.leaf()), e.SecretName, strings.Join(missing, ", "))
				}
			})
		},
	}
}
