package network

import (
	"strings"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/rules"
)

func workloadNotSelected() *rules.Rule {
	return &rules.Rule{
		ID:       "workload-not-selected-by-policy",
		Requires: []analysis.Key{modelAnalysis},
		Category: finding.CategoryNetwork,
		Severity: finding.SeverityLow,
		Title:    "Workload is selected by no NetworkPolicy in a namespace that has policies",
		Rationale: "NetworkPolicies only act on the pods their podSelector picks. When a namespace has policies but " +
			"one workload's labels match none of them, that workload keeps the cluster's default: any pod may " +
			"connect to it and it may connect anywhere. This is usually an oversight (a renamed app label, a " +
			"new component added after the policies were written), and it is easy to miss because the namespace " +
			"looks protected. Host-network pods are left out, since policies do not govern them.",
		Remediation: "Add a default-deny policy with an empty podSelector to the namespace so that nothing is left " +
			"out, or write a policy for this workload's labels that allows only the traffic it needs.",
		References: finding.References{
			NSA:   nsa,
			MITRE: []string{"T1046", "T1021"},
			URLs:  []string{policyDocs},
		},
		CheckInventory: checkNotSelected,
	}
}

func checkNotSelected(p *rules.Pass) {
	m := rules.Use(p, modelAnalysis)
	byNS := map[string][]*netpol.Policy{}
	for _, pol := range m.Policies {
		ns := namespaceOf(pol.Object)
		byNS[ns] = append(byNS[ns], pol)
	}
	for _, pod := range governed(m) {
		pols := byNS[pod.Namespace]
		if len(pols) == 0 {
			continue // the namespace-level rules report this
		}
		in, out := m.PoliciesFor(pod)
		if len(in) > 0 || len(out) > 0 {
			continue
		}
		p.Reportf(pod.Object, labelsField(pod), "%s is selected by no NetworkPolicy, though namespace %q has some (%s): "+
			"its ingress and egress are unrestricted", describe(pod.Object), pod.Namespace, policyNames(pols))
		// Ingress is the side shown: every address may connect.
		p.Confirm(canReach("0.0.0.0/0", endpointName(pod), pod)...)
	}
}

// labelsField is the field path of the pod labels the policies select on.
func labelsField(pod *netpol.Pod) string {
	w, ok := extract.PodSpec(pod.Object)
	if !ok {
		return ""
	}
	return strings.TrimSuffix(w.SpecPath, "spec") + "metadata.labels"
}
