package exposure

import (
	"fmt"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func loadBalancerOpen() *rules.Rule {
	return &rules.Rule{
		ID:       "service-loadbalancer-open",
		Requires: []analysis.Key{analysis.Objects},
		Category: finding.CategoryExposure,
		Severity: finding.SeverityHigh,
		Title:    "LoadBalancer Service accepts traffic from any address",
		Rationale: "A LoadBalancer Service gets an address from the cloud provider that is, unless the Service " +
			"asks for an internal one, on the internet. Without source ranges the provider's firewall lets every " +
			"address in, so the Service's ports are scanned and attacked within minutes of creation. Source " +
			"ranges are compared as a set of addresses: ranges that together cover every address, or every " +
			"internet address, of IPv4 or IPv6 (0.0.0.0/1 with 128.0.0.0/1, 2000::/3) are as open as 0.0.0.0/0. " +
			"The severity follows what is published: high for a data store (PostgreSQL, MySQL, Redis, MongoDB, " +
			"Elasticsearch and the like, by port, port name or the image of the selected workloads), an admin or " +
			"monitoring UI, a notebook or a remote administration port, which are never meant for the internet; " +
			"low for HTTP and HTTPS on 80 and 443 only, which is what a public load balancer is usually for; " +
			"medium when the port says nothing. Not reported: internal load balancers (the providers' " +
			"annotations), and source ranges that leave part of the internet out, however many prefixes they " +
			"list (a CDN's published ranges).",
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
			field, why, public := publicLoadBalancer(svc)
			if !public {
				return
			}
			pub := whatIsPublished(svc, obj.Namespace, p.Inventory())
			p.ReportSeverity(obj, pub.severity(), field, fmt.Sprintf("Service %q of type LoadBalancer %s: ports %s are reachable from any address%s",
				obj.Name, why, servicePorts(svc), pub.text()))
		},
	}
}
