package network

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func policyAllowsAll() *rules.Rule {
	return &rules.Rule{
		ID:       "networkpolicy-allows-all",
		Category: finding.CategoryNetwork,
		Severity: finding.SeverityMedium,
		Title:    "NetworkPolicy has a rule that allows all traffic",
		Rationale: "Policies add up: once any policy selecting a pod has a rule that admits every peer, no other " +
			"policy can narrow that direction again on the rule's ports, so a default deny in the same namespace is " +
			"silently undone for those pods. A rule does that when it has no from (ingress) or to (egress), a peer " +
			"that matches every pod of every namespace (namespaceSelector: {}), or ipBlocks that together cover " +
			"every address (0.0.0.0/0, ::/0, or ranges such as 0.0.0.0/1 with 128.0.0.0/1, computed as address " +
			"sets with their except holes); on ingress, also ipBlocks that cover every internet address " +
			"(0.0.0.0/0 except the private ranges), which publish the pods to the world. Such rules are often left " +
			"over from debugging or written to \"make it work\". A rule open on every port is medium; one limited " +
			"to some ports is low, since it still lets the whole world, or the whole cluster, reach those ports " +
			"(a database opened \"only\" on 5432 to every source). " +
			"Not reported: egress limited to port 53 (DNS to any resolver), egress to the internet that keeps " +
			"the private ranges out (the cluster's pods are not reachable through it), and rules of a direction " +
			"the policy's policyTypes leave out, which the API server ignores. Two rules of one policy whose " +
			"ranges only together cover everything are seen by the namespace default-deny rules, not here.",
		Remediation: "Replace the rule with peers naming the namespaces (namespaceSelector on " +
			"kubernetes.io/metadata.name) and pods (podSelector) that need access, CIDRs as narrow as the real " +
			"destinations, and the ports actually served or called. If the workload must be open, say so with a " +
			"dedicated, documented policy and an ignore annotation.",
		References: finding.References{
			NSA:   nsa,
			MITRE: []string{"T1046", "T1021"},
			URLs:  []string{policyDocs + "#allow-all-ingress-traffic"},
		},
		Kinds:       []schema.GroupKind{{Group: "networking.k8s.io", Kind: "NetworkPolicy"}},
		CheckObject: checkAllowsAll,
	}
}

func checkAllowsAll(p *rules.Pass, obj *inventory.Object) {
	np, ok := obj.Typed.(*networkingv1.NetworkPolicy)
	if !ok {
		return
	}
	for _, r := range effectiveRules(&np.Spec) {
		a := admitted(r)
		b := a.breadth()
		if b == narrow || (b == internet && r.dir == egress) {
			continue // the internet without the cluster's own ranges is a deliberate egress choice
		}
		ports, every := portsText(r)
		sev := p.Rule.Severity
		if !every {
			if r.dir == egress && dnsOnly(r) {
				continue // DNS to any resolver
			}
			sev = finding.SeverityLow
		}
		why, field := a.describe(r.dir)
		toFrom := "from"
		if r.dir == egress {
			toFrom = "to"
		}
		p.ReportSeverity(obj, sev, field, fmt.Sprintf("%s rule %d allows traffic %s %s on %s", r.dir, r.index, toFrom, why, ports))
	}
}
