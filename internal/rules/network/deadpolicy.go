package network

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/rules"
)

func policySelectsNothing() *rules.Rule {
	return &rules.Rule{
		ID:       "networkpolicy-selects-nothing",
		Requires: []analysis.Key{ModelAnalysis},
		Category: finding.CategoryNetwork,
		Severity: finding.SeverityLow,
		Title:    "NetworkPolicy selects none of its namespace's workloads",
		Rationale: "A policy whose podSelector matches no pod does nothing, yet it reads as protection: reviewers " +
			"see a policy for the app and assume the app is isolated. It usually means the workload's labels " +
			"changed, or the selector has a typo, so the workload it was written for runs unrestricted. Only " +
			"namespaces with at least one scanned workload are checked, since workloads deployed from elsewhere " +
			"cannot be seen.",
		Remediation: "Fix the podSelector to match the labels of the workload's pod template, or delete the policy " +
			"if the workload is gone.",
		References: finding.References{
			NSA:  nsa,
			URLs: []string{policyDocs + "#networkpolicy-resource"},
		},
		CheckInventory: checkSelectsNothing,
	}
}

func checkSelectsNothing(p *rules.Pass) {
	m := rules.Use(p, ModelAnalysis)
	count := map[string]int{}
	for _, pod := range m.Pods {
		count[pod.Namespace]++
	}
	for _, pol := range m.Policies {
		ns := namespaceOf(pol.Object)
		if count[ns] == 0 || len(m.SelectedBy(pol)) > 0 {
			continue
		}
		p.Reportf(pol.Object, "spec.podSelector", "podSelector %q matches none of the %s scanned in namespace %q",
			metav1.FormatLabelSelector(&pol.Spec.PodSelector), workloads(count[ns]), ns)
	}
}

func policyPortNotExposed() *rules.Rule {
	return &rules.Rule{
		ID:       "networkpolicy-port-not-exposed",
		Requires: []analysis.Key{ModelAnalysis},
		Category: finding.CategoryNetwork,
		Severity: finding.SeverityLow,
		Title:    "NetworkPolicy ingress port names a port that no selected workload declares",
		Rationale: "A named port in an ingress rule is resolved against the container ports of the pods the policy " +
			"selects. When none of them declares a port of that name and protocol, the entry matches nothing: " +
			"the traffic it was meant to allow is dropped, and the usual fix under pressure is a broader rule " +
			"than needed. It also shows the policy and the workload have drifted apart. Port numbers are not " +
			"checked, since a container may serve a port it does not declare.",
		Remediation: "Use the name (and protocol) the workload's containers declare under ports, or add the named " +
			"containerPort to the pod template.",
		References: finding.References{
			NSA:  nsa,
			URLs: []string{policyDocs},
		},
		CheckInventory: checkPortNotExposed,
	}
}

func checkPortNotExposed(p *rules.Pass) {
	m := rules.Use(p, ModelAnalysis)
	for _, pol := range m.Policies {
		if !pol.Ingress {
			continue
		}
		selected := m.SelectedBy(pol)
		if len(selected) == 0 {
			continue // networkpolicy-selects-nothing reports it
		}
		for i, r := range pol.Spec.Ingress {
			for j, port := range r.Ports {
				if port.Port == nil || port.Port.Type != intstr.String {
					continue
				}
				proto := corev1.ProtocolTCP
				if port.Protocol != nil {
					proto = *port.Protocol
				}
				if declared(selected, port.Port.StrVal, proto) {
					continue
				}
				p.Reportf(pol.Object, fmt.Sprintf("spec.ingress[%d].ports[%d].port", i, j),
					"ingress rule %d allows port %q (%s), but none of the %s it selects declares a container port of that name and protocol",
					i, port.Port.StrVal, proto, workloads(len(selected)))
			}
		}
	}
}

// declared reports whether some pod has a container port of that name and
// protocol.
func declared(pods []*netpol.Pod, name string, proto corev1.Protocol) bool {
	for _, pod := range pods {
		for _, cp := range pod.Ports {
			cproto := cp.Protocol
			if cproto == "" {
				cproto = corev1.ProtocolTCP
			}
			if cp.Name == name && cproto == proto {
				return true
			}
		}
	}
	return false
}
