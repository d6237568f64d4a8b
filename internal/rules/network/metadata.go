package network

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/rules"
)

var (
	// metadataAddr is the link-local address of the instance metadata
	// service on AWS, GCP, Azure and most other clouds.
	metadataAddr = netip.MustParseAddr("169.254.169.254")
	// apiServerAddr stands in for the Kubernetes API: the first address of
	// the default service range (10.96.0.0/12), which the "kubernetes"
	// Service gets on kubeadm and most distributions.
	apiServerAddr = netip.MustParseAddr("10.96.0.1")
)

func egressToMetadataOrAPIServer() *rules.Rule {
	return &rules.Rule{
		ID:       "egress-to-metadata-or-apiserver",
		Requires: []analysis.Key{modelAnalysis},
		Category: finding.CategoryNetwork,
		Severity: finding.SeverityMedium,
		Title:    "Egress-restricted workload may still reach the cloud metadata service or the Kubernetes API",
		Rationale: "The instance metadata service at 169.254.169.254 answers any process on the node's network, " +
			"pods included, and on many clouds it hands out the node's credentials; reaching it from a " +
			"compromised pod is a standard step towards the cloud account. A workload whose egress is already " +
			"restricted by NetworkPolicies should not be let through to it by a broad rule (such as an ipBlock " +
			"0.0.0.0/0 with no except for 169.254.169.254/32). Likewise a workload that sets " +
			"automountServiceAccountToken: false declares that it does not talk to the Kubernetes API, so its " +
			"policies should not allow it: a stolen or mounted-by-hand token would otherwise still work from " +
			"there. The API is checked as 10.96.0.1:443, the usual address of the kubernetes Service, as a " +
			"stand-in: the real service range is not in the manifests, and some network plugins match the " +
			"API server's own endpoint addresses instead, so a policy that allows it by those is not seen. " +
			"Workloads not isolated for egress at all are reported by namespace-no-default-deny-egress.",
		Remediation: "Add 169.254.169.254/32 (and the API server's addresses, for workloads that do not use the API) " +
			"to the except list of broad ipBlock rules, or replace them with the narrow CIDRs and ports the " +
			"workload needs. On clouds that support it, also require session tokens for the metadata service " +
			"(IMDSv2 with a hop limit of 1) or block it at the node.",
		References: finding.References{
			NSA:   nsa,
			MITRE: []string{"T1552.005", "T1613"},
			URLs: []string{
				policyDocs,
				"https://kubernetes.io/docs/tasks/administer-cluster/securing-a-cluster/#restricting-cloud-metadata-api-access",
			},
		},
		CheckInventory: checkEgressTargets,
	}
}

func checkEgressTargets(p *rules.Pass) {
	m := rules.Use(p, modelAnalysis)
	for _, pod := range governed(m) {
		if _, out := m.PoliciesFor(pod); len(out) == 0 {
			continue
		}
		reach := func(addr netip.Addr, port int32) []*netpol.Policy {
			v := m.Check(netpol.Connection{
				From:     netpol.Endpoint{Pod: pod},
				To:       netpol.Endpoint{Addr: addr},
				Port:     port,
				Protocol: corev1.ProtocolTCP,
			})
			if !v.Egress.Allowed() {
				return nil
			}
			return v.Egress.AllowedBy
		}
		if by := reach(metadataAddr, 80); len(by) > 0 {
			p.Reportf(pod.Object, "", "%s is egress-restricted, but egress to the cloud metadata "+
				"service at %s:80 is allowed by %s", describe(pod.Object), metadataAddr, policiesRef(by))
			p.Confirm("netpol", "can", endpointName(pod), metadataAddr.String(), "--port", "80")
		}
		w, ok := extract.PodSpec(pod.Object)
		if !ok || w.Spec.AutomountServiceAccountToken == nil || *w.Spec.AutomountServiceAccountToken || projectsToken(w.Spec) {
			continue
		}
		if by := reach(apiServerAddr, 443); len(by) > 0 {
			p.Reportf(pod.Object, w.SpecPath+".automountServiceAccountToken", "%s sets automountServiceAccountToken: "+
				"false, yet egress to the Kubernetes API (checked as %s:443) is allowed by %s",
				describe(pod.Object), apiServerAddr, policiesRef(by))
			p.Confirm("netpol", "can", endpointName(pod), apiServerAddr.String(), "--port", "443")
		}
	}
}

// projectsToken reports a pod that mounts a service account token itself
// (a projected serviceAccountToken volume): it does talk to the API, with
// a short-lived token, instead of the automounted one.
func projectsToken(spec *corev1.PodSpec) bool {
	for _, v := range spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, src := range v.Projected.Sources {
			if src.ServiceAccountToken != nil {
				return true
			}
		}
	}
	return false
}
