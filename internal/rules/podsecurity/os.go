package podsecurity

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// osLabels are the node labels that name a node's operating system (the
// beta one is deprecated but still set by the kubelet and still found in
// manifests).
var osLabels = []string{"kubernetes.io/os", "beta.kubernetes.io/os"}

// windowsOnly reports whether a pod can only run on Windows nodes: it says
// so in spec.os, its node selector asks for Windows, or every term of its
// required node affinity allows Windows alone. A pod that may land on
// Linux is judged as a Linux pod.
func windowsOnly(spec *corev1.PodSpec) bool {
	if spec.OS != nil && spec.OS.Name == corev1.Windows {
		return true
	}
	for _, l := range osLabels {
		if spec.NodeSelector[l] == string(corev1.Windows) {
			return true
		}
	}
	if spec.Affinity == nil || spec.Affinity.NodeAffinity == nil ||
		spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	terms := spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) == 0 {
		return false
	}
	// Terms are alternatives: each must pin Windows; within a term the
	// requirements all hold, so one pinning requirement is enough.
	for _, t := range terms {
		if !slices.ContainsFunc(t.MatchExpressions, func(e corev1.NodeSelectorRequirement) bool {
			return slices.Contains(osLabels, e.Key) && e.Operator == corev1.NodeSelectorOpIn && len(e.Values) > 0 &&
				!slices.ContainsFunc(e.Values, func(v string) bool { return v != string(corev1.Windows) })
		}) {
			return false
		}
	}
	return true
}

// windowsOnlyCEL is windowsOnly over variables.podSpec, for the CEL form of
// the rules that skip Windows pods; the fixtures hold both to one answer.
const windowsOnlyCEL = "(has(variables.podSpec.os) && variables.podSpec.os.name == 'windows') || " +
	"(has(variables.podSpec.nodeSelector) && ['kubernetes.io/os', 'beta.kubernetes.io/os'].exists(l, " +
	"l in variables.podSpec.nodeSelector && variables.podSpec.nodeSelector[l] == 'windows')) || " +
	"(has(variables.podSpec.affinity) && has(variables.podSpec.affinity.nodeAffinity) && " +
	"has(variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) && " +
	"has(variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms) && " +
	"size(variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms) > 0 && " +
	"variables.podSpec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.all(t, " +
	"has(t.matchExpressions) && t.matchExpressions.exists(e, e.key in ['kubernetes.io/os', 'beta.kubernetes.io/os'] && " +
	"e.operator == 'In' && has(e.values) && size(e.values) > 0 && e.values.all(v, v == 'windows'))))"
