package exposure

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

func hostNetworkPort() *rules.Rule {
	return rules.AppHardening(&rules.Rule{
		ID:       "workload-host-network-port",
		Category: finding.CategoryExposure,
		Severity: finding.SeverityMedium,
		Title:    "Workload listens on the node's own addresses",
		Rationale: "With hostNetwork every port the pod listens on is open on the node's addresses, and a " +
			"hostPort forwards one node port to the container. Both make the workload reachable by anyone " +
			"who can reach the node, around Services, Ingress and NetworkPolicies (which do not apply to " +
			"host-network pods), and hostNetwork also shows the pod every service bound to the node's loopback.",
		Remediation: "Drop hostNetwork and hostPort and publish the workload through a Service (ClusterIP " +
			"behind an Ingress or Gateway, or a LoadBalancer with source ranges). Node agents that truly need " +
			"the node's network belong in a dedicated namespace, with the node firewall closing their ports " +
			"to the outside; a hostPort needed only on the node can bind hostIP 127.0.0.1.",
		References: finding.References{
			NSA:   []string{"Network separation and hardening", "Pod security: Pod Security Admission"},
			MITRE: []string{"T1190"},
			PSS:   "baseline: Host Namespaces, Host Ports",
			URLs: []string{
				"https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
				"https://kubernetes.io/docs/concepts/configuration/overview/#services",
			},
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			containers := w.Containers()
			if w.Spec.HostNetwork {
				// Host ports are implied (and equal the container ports):
				// one finding says it all.
				var ports []string
				for _, c := range containers {
					for _, cp := range c.Container.Ports {
						ports = append(ports, fmt.Sprintf("%q %d/%s", c.Container.Name, cp.ContainerPort, protocol(cp.Protocol)))
					}
				}
				declared := "none declared"
				if len(ports) > 0 {
					declared = "declared: " + strings.Join(ports, ", ")
				}
				p.Reportf(w.Object, w.SpecPath+".hostNetwork",
					"pod uses hostNetwork: every port its containers listen on is open on the node's addresses (%s)", declared)
				return
			}
			for _, c := range containers {
				for i, cp := range c.Container.Ports {
					if cp.HostPort == 0 {
						continue
					}
					if ip, err := netip.ParseAddr(cp.HostIP); err == nil && ip.IsLoopback() {
						continue // reachable from the node only
					}
					p.Reportf(w.Object, fmt.Sprintf("%s.ports[%d].hostPort", c.Path, i),
						"container %q binds hostPort %d/%s on the node's addresses (to container port %d)",
						c.Container.Name, cp.HostPort, protocol(cp.Protocol), cp.ContainerPort)
				}
			}
		},
	})
}
