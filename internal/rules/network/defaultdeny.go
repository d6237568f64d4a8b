package network

import (
	"fmt"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/rules"
)

func noDefaultDenyIngress() *rules.Rule {
	return &rules.Rule{
		ID:       "namespace-no-default-deny-ingress",
		Requires: []analysis.Key{modelAnalysis},
		Category: finding.CategoryNetwork,
		Severity: finding.SeverityMedium,
		Title:    "Namespace runs workloads that no NetworkPolicy isolates for ingress",
		Rationale: "Kubernetes networking is flat: until a NetworkPolicy selects a pod for Ingress, every pod of " +
			"every namespace (and anything routed into the cluster) can open connections to it. One compromised " +
			"pod can then scan the cluster and reach databases, admin ports and internal APIs that were never " +
			"meant to be shared. A namespace is only isolated when a policy with an empty podSelector denies " +
			"ingress by default and narrower policies open what each workload needs; workloads no policy " +
			"selects, or whose policies' rules together admit every source (or every pod of the cluster) on every " +
			"port of every protocol, stay open. Address ranges are compared as sets, so two half ranges or an " +
			"except hole another peer fills count as every address. Not reported: workloads reachable from " +
			"everywhere on some ports only (networkpolicy-allows-all names those rules), kube-system, and " +
			"host-network pods, which policies do not govern.",
		Remediation: "Add a default-deny policy to the namespace (podSelector: {}, policyTypes: [Ingress], no ingress " +
			"rules), then one policy per workload that allows ingress from the pods, namespaces and ports it " +
			"serves. Check that the cluster's network plugin enforces NetworkPolicies.",
		References: finding.References{
			CIS:   []string{"5.3.2"},
			NSA:   nsa,
			MITRE: []string{"T1046", "T1021"},
			URLs:  []string{policyDocs + "#default-deny-all-ingress-traffic"},
		},
		CheckInventory: func(p *rules.Pass) { checkDefaultDeny(p, ingress) },
	}
}

func noDefaultDenyEgress() *rules.Rule {
	return &rules.Rule{
		ID:       "namespace-no-default-deny-egress",
		Requires: []analysis.Key{modelAnalysis},
		Category: finding.CategoryNetwork,
		Severity: finding.SeverityLow,
		Title:    "Namespace runs workloads that no NetworkPolicy isolates for egress",
		Rationale: "A pod that no NetworkPolicy selects for Egress may connect anywhere: to every other pod, to the " +
			"Kubernetes API, to the cloud provider's instance metadata service (which hands out node credentials " +
			"on many platforms) and to any address on the internet. That is what an attacker who lands in the pod " +
			"uses to move laterally, fetch tools and send data out. Egress is isolated per workload only by a " +
			"policy that selects it for Egress and whose rules do not, together, allow every destination (or every " +
			"pod of the cluster) on every port of every protocol. Not reported: egress open to the internet but " +
			"not to the cluster's private ranges, or to every destination on some ports only (DNS, HTTPS), " +
			"kube-system, and host-network pods, which policies do not govern.",
		Remediation: "Add a default-deny egress policy to the namespace (podSelector: {}, policyTypes: [Egress], no " +
			"egress rules) plus a rule allowing DNS to the cluster's resolver, then allow each workload the " +
			"destinations and ports it actually calls.",
		References: finding.References{
			CIS:   []string{"5.3.2"},
			NSA:   nsa,
			MITRE: []string{"T1046", "T1552.005"},
			URLs:  []string{policyDocs + "#default-deny-all-egress-traffic"},
		},
		CheckInventory: func(p *rules.Pass) { checkDefaultDeny(p, egress) },
	}
}

// nsOpen is what the default-deny rules learn about one namespace.
type nsOpen struct {
	total int
	open  []*netpol.Pod
}

// checkDefaultDeny reports once per namespace (kube-system aside) that has
// workloads open in direction d: selected by no policy isolating d, or by
// one whose rule in d allows every peer on every port.
func checkDefaultDeny(p *rules.Pass, d direction) {
	m := rules.Use(p, modelAnalysis)
	byNS := map[string]*nsOpen{}
	for _, pod := range governed(m) {
		if pod.Namespace == "kube-system" {
			continue
		}
		st := byNS[pod.Namespace]
		if st == nil {
			st = &nsOpen{}
			byNS[pod.Namespace] = st
		}
		st.total++
		in, out := m.PoliciesFor(pod)
		pols := in
		if d == egress {
			pols = out
		}
		if !restricts(pols, d) {
			st.open = append(st.open, pod)
		}
	}
	for _, ns := range sortedKeys(byNS) {
		st := byNS[ns]
		if len(st.open) == 0 {
			continue
		}
		names := make([]string, len(st.open))
		for i, pod := range st.open {
			names[i] = describe(pod.Object)
		}
		target := namespaceTarget(p.Inventory(), ns, st.open[0].Object)
		var open string
		switch {
		case st.total == 1:
			open = "its only workload is"
		case len(st.open) == st.total:
			open = fmt.Sprintf("all %d of its workloads are", st.total)
		case len(st.open) == 1:
			open = fmt.Sprintf("1 of its %d workloads is", st.total)
		default:
			open = fmt.Sprintf("%d of its %d workloads are", len(st.open), st.total)
		}
		p.Reportf(target, "", "namespace %q has no default deny for %s: %s open to all %s traffic (%s)",
			ns, d, open, d, list(names))
		confirmOpen(p, m, st.open[0], d)
	}
}

// restricts reports whether the policies selecting a pod for d restrict
// it: there is at least one, and their rules in d do not, together,
// admit every peer (or every pod of the cluster) on every port (policies
// add up, so such rules open the pod whatever the others say).
func restricts(pols []*netpol.Policy, d direction) bool {
	if len(pols) == 0 {
		return false
	}
	var rs []policyRule
	for _, pol := range pols {
		for _, r := range effectiveRules(pol.Spec) {
			if r.dir == d {
				rs = append(rs, r)
			}
		}
	}
	return !openOnEveryPort(rs)
}
