package exposure

import (
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func loadBalancerOpen() *rules.Rule {
	return &rules.Rule{
		ID:       "service-loadbalancer-open",
		Category: finding.CategoryExposure,
		Severity: finding.SeverityHigh,
		Title:    "LoadBalancer Service accepts traffic from any address",
		Rationale: "A LoadBalancer Service gets an address from the cloud provider that is, unless the Service " +
			"asks for an internal one, on the internet. Without source ranges the provider's firewall lets every " +
			"address in, so the Service's ports are scanned and attacked within minutes of creation.",
		Remediation: "Set spec.loadBalancerSourceRanges to the networks that need the service (office, VPN, " +
			"partner or CDN ranges), never 0.0.0.0/0 or ::/0. If only the private network needs it, ask for an " +
			"internal load balancer with the provider's annotation (for example networking.gke.io/load-balancer-type: " +
			"Internal, service.beta.kubernetes.io/aws-load-balancer-scheme: internal or " +
			"service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"). Public web traffic is better " +
			"served through an Ingress or Gateway.",
		References: finding.References{
			NSA:   []string{"Network separation and hardening"},
			MITRE: []string{"T1190"},
			URLs: []string{
				"https://kubernetes.io/docs/tasks/access-application-cluster/configure-cloud-provider-firewall/",
				"https://kubernetes.io/docs/concepts/services-networking/service/#loadbalancer",
			},
		},
		Kinds: serviceKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			svc, ok := service(obj)
			if !ok {
				return
			}
			if field, why, public := publicLoadBalancer(svc); public {
				p.Reportf(obj, field, "Service %q of type LoadBalancer %s: ports %s are reachable from any address",
					obj.Name, why, servicePorts(svc))
			}
		},
	}
}
