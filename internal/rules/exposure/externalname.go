package exposure

import (
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/cidrset"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// Cloud instance metadata endpoints: 169.254.169.254 on most clouds, the
// IPv6 one on AWS Nitro, Alibaba Cloud's (in the shared address space),
// and the name GCE resolves to the first.
var (
	metadataAddrs = []netip.Addr{
		netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200"),
	}
	metadataNames = []string{"metadata.google.internal"}
)

// internalNameSuffixes are DNS suffixes that resolve only inside the
// cluster or the private network, with how the finding describes them.
var internalNameSuffixes = []struct{ suffix, what string }{
	{".svc", "an in-cluster Service name"},
	{".svc.cluster.local", "an in-cluster Service name"},
	{".cluster.local", "a cluster-internal DNS name"},
	{".internal", "a private DNS name (.internal)"},
	{".local", "a private DNS name (.local)"},
	{".localhost", "a loopback name"},
}

// internalTarget says what kind of internal endpoint an ExternalName
// points at, or false for a name or address on the public internet.
func internalTarget(name string) (what string, internal bool) {
	n := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	if addr, err := netip.ParseAddr(strings.Trim(n, "[]")); err == nil {
		addr = addr.Unmap()
		for _, m := range metadataAddrs {
			if addr == m {
				return "the cloud instance metadata address, which hands out the node's cloud credentials", true
			}
		}
		switch {
		case addr.IsLoopback():
			return "a loopback address", true
		case addr.IsUnspecified():
			return "the unspecified address, which reaches the node itself", true
		case addr.IsLinkLocalUnicast():
			return "a link-local address", true
		case cidrset.Internal.Contains(addr):
			// Private, shared (carrier-grade NAT, 100.64.0.0/10) and
			// unique local ranges: IsPrivate misses the shared one.
			return "a private address", true
		}
		return "", false
	}
	for _, m := range metadataNames {
		if n == m {
			return "the cloud instance metadata server, which hands out the node's cloud credentials", true
		}
	}
	if n == "localhost" {
		return "a loopback name", true
	}
	for _, s := range internalNameSuffixes {
		if strings.HasSuffix(n, s.suffix) {
			return s.what, true
		}
	}
	return "", false
}

func externalNameInternal() *rules.Rule {
	return &rules.Rule{
		ID:       "service-externalname-internal",
		Category: finding.CategoryExposure,
		Severity: finding.SeverityMedium,
		Title:    "ExternalName Service points at an internal address",
		Rationale: "An ExternalName Service is a DNS alias that Ingress controllers, gateways and meshes follow " +
			"as a backend. Aimed at another namespace's Service, a loopback or private address, or the cloud " +
			"metadata endpoint 169.254.169.254, it lets whoever routes to it reach what NetworkPolicies and " +
			"namespace boundaries were meant to keep them from, up to the node's cloud credentials. Addresses " +
			"are judged as sets: private, shared (100.64.0.0/10, where Alibaba Cloud's metadata service lives), " +
			"loopback, link-local and unique local ranges, IPv4-mapped IPv6 included. Not reported: public DNS " +
			"names and addresses, which is what ExternalName is for.",
		Remediation: "Point ExternalName Services only at external DNS names. To reach a Service in another " +
			"namespace, route to it directly under a NetworkPolicy that allows it; block 169.254.169.254 for " +
			"pods with a NetworkPolicy or the cloud's metadata protections (IMDSv2 with a hop limit of 1, GKE " +
			"Workload Identity). Consider disabling ExternalName backends in the Ingress controller.",
		References: finding.References{
			MITRE: []string{"T1552.005"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/services-networking/service/#externalname"},
		},
		Kinds: serviceKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			svc, ok := service(obj)
			if !ok || svc.Spec.Type != corev1.ServiceTypeExternalName {
				return
			}
			if what, internal := internalTarget(svc.Spec.ExternalName); internal {
				p.Reportf(obj, "spec.externalName", "Service %q is an ExternalName alias for %q, %s",
					obj.Name, svc.Spec.ExternalName, what)
			}
		},
	}
}
