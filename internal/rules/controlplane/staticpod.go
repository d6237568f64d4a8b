package controlplane

import (
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

// staticPodNote says once per control-plane static pod why the
// workload-hardening rules are silent on it (rules.AppHardening), so that
// the exemption is visible in every report rather than a silent gap.
func staticPodNote() *rules.Rule {
	return &rules.Rule{
		ID:       "control-plane-static-pod",
		Category: finding.CategoryPodSecurity,
		Severity: finding.SeverityInfo,
		Title:    "Control-plane static pod judged by the control-plane rules",
		Rationale: "kube-apiserver, kube-controller-manager, kube-scheduler and etcd run as static pods that " +
			"need host networking, host paths and root by design: the Pod Security Standards and the other " +
			"workload-hardening rules would report a dozen findings on each that no one can fix. kguard judges " +
			"them by their flags and files instead (the apiserver-*, etcd-*, controller-manager-* and node-file-* " +
			"rules) and notes here which pods it treats so. A pod counts when it is in kube-system and one of its " +
			"containers runs one of these components (the component label with the container's name, or the " +
			"binary as the first word of its command line), as the control-plane rules recognise them. Not " +
			"reported: kube-proxy and other DaemonSets in kube-system, which stay ordinary workloads.",
		Remediation: "Nothing to change. If the pod is not a control-plane component, move it out of kube-system " +
			"or stop naming it after one, so that the workload rules judge it.",
		References: finding.References{
			URLs: []string{"https://kubernetes.io/docs/tasks/configure-pod-container/static-pod/"},
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			name, ok := controlplane.StaticPod(w.Object)
			if !ok {
				return
			}
			p.Reportf(w.Object, w.SpecPath, "runs %s as a control-plane static pod: the control-plane rules judge it, "+
				"the workload-hardening rules (Pod Security Standards, read-only root filesystem, resource limits, "+
				"image pinning, host network) do not", name)
		},
	}
}
