package exposure

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func nodePort() *rules.Rule {
	return &rules.Rule{
		ID:       "service-nodeport",
		Category: finding.CategoryExposure,
		Severity: finding.SeverityMedium,
		Title:    "Service is exposed on a port of every node",
		Rationale: "A NodePort Service opens its port on every node of the cluster, on all of the node's " +
			"addresses. Whoever can reach any node (from the internet when nodes have public IPs, otherwise " +
			"from the whole node network) reaches the service, outside the view of Ingress controllers and " +
			"often of the cloud firewall rules meant for it.",
		Remediation: "Use type ClusterIP and publish the service through an Ingress or Gateway, or through a " +
			"LoadBalancer Service with loadBalancerSourceRanges. If a node port is really needed, restrict " +
			"the node port range (30000-32767 by default) in the node firewall or security groups, and limit " +
			"the addresses kube-proxy serves node ports on (--nodeport-addresses).",
		References: finding.References{
			NSA:   []string{"Network separation and hardening"},
			MITRE: []string{"T1190"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport"},
		},
		Kinds: serviceKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			svc, ok := service(obj)
			if !ok || svc.Spec.Type != corev1.ServiceTypeNodePort {
				return
			}
			ports := make([]string, 0, len(svc.Spec.Ports))
			for _, sp := range svc.Spec.Ports {
				node := "an allocated node port"
				if sp.NodePort != 0 {
					node = fmt.Sprintf("node port %d", sp.NodePort)
				}
				ports = append(ports, fmt.Sprintf("%s for %d/%s", node, sp.Port, protocol(sp.Protocol)))
			}
			opens := "node ports"
			if len(ports) > 0 {
				opens = strings.Join(ports, ", ")
			}
			p.Reportf(obj, "spec.type", "Service %q of type NodePort opens %s on every node", obj.Name, opens)
		},
	}
}
