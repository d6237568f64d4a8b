package network

import (
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
		Rationale: "Policies add up: once any policy selecting a pod has a rule that admits every peer on every " +
			"port, no other policy can narrow that direction again, so a default deny in the same namespace is " +
			"silently undone for those pods. A rule does that when it has no from (ingress) or to (egress), or " +
			"a peer that matches every pod of every namespace (namespaceSelector: {}) or every address (ipBlock " +
			"0.0.0.0/0 or ::/0 without except), and no ports. Such rules are often left over from debugging or " +
			"written to \"make it work\". Rules restricted to ports are not reported, since allowing DNS or " +
			"HTTPS from or to anywhere is a common, deliberate choice.",
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
		w, all := allowsAll(r)
		if !all {
			continue
		}
		toFrom := "from"
		if r.dir == egress {
			toFrom = "to"
		}
		p.Reportf(obj, w.field, "%s rule %d allows traffic %s %s on every port", r.dir, r.index, toFrom, w.why)
	}
}
