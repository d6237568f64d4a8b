package exposure

import (
	"strings"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func externalIPs() *rules.Rule {
	return &rules.Rule{
		ID:       "service-external-ips",
		Category: finding.CategoryExposure,
		Severity: finding.SeverityHigh,
		Title:    "Service claims external IP addresses",
		Rationale: "kube-proxy on every node sends traffic addressed to a Service's externalIPs to the Service, " +
			"and the API server does not check who owns those addresses. Anyone allowed to create or edit a " +
			"Service can therefore intercept the cluster's traffic to any IP, a public DNS server for example " +
			"(CVE-2020-8554, which has no patch), besides exposing the Service on those addresses.",
		Remediation: "Remove spec.externalIPs and publish the service through a LoadBalancer Service, an Ingress " +
			"or a Gateway. Enable the DenyServiceExternalIPs admission plugin on the API server (or reject the " +
			"field with an admission policy, allowing only vetted addresses) so that no one can set it again.",
		References: finding.References{
			NSA:   []string{"Network separation and hardening"},
			MITRE: []string{"T1557"},
			URLs: []string{
				"https://www.cve.org/CVERecord?id=CVE-2020-8554",
				"https://github.com/kubernetes/kubernetes/issues/97076",
				"https://kubernetes.io/docs/concepts/services-networking/service/#external-ips",
				"https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#denyserviceexternalips",
			},
		},
		Kinds: serviceKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			svc, ok := service(obj)
			if !ok || len(svc.Spec.ExternalIPs) == 0 {
				return
			}
			p.Reportf(obj, "spec.externalIPs",
				"Service %q sets externalIPs %s: every node sends traffic for these addresses to ports %s of the Service (CVE-2020-8554)",
				obj.Name, strings.Join(svc.Spec.ExternalIPs, ", "), servicePorts(svc))
		},
	}
}
