package podsecurity

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func readOnlyRootFS() *rules.Rule {
	return rules.AppHardening(&rules.Rule{
		ID:       "container-readonly-rootfs-missing",
		Category: finding.CategoryPodSecurity,
		Severity: finding.SeverityLow,
		Title:    "Container root filesystem is writable",
		Rationale: "A writable root filesystem lets an intruder drop tools, change binaries and persist inside " +
			"the container; most services write only to a few known paths. Not reported: pods that can only run " +
			"on Windows (spec.os.name, a kubernetes.io/os node selector or a required node affinity), where " +
			"the API server rejects the field with spec.os and Windows does not support it.",
		Remediation: "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the program " +
			"must write (for example /tmp or a cache directory).",
		References: finding.References{
			NSA:   []string{"Pod security: immutable container file systems"},
			MITRE: []string{"T1525", "T1036"},
			URLs:  []string{"https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"},
		},
		CEL: &rules.CEL{
			Expression: "(" + windowsOnlyCEL + ") || variables.containers.all(c, has(c.securityContext) && " +
				"has(c.securityContext.readOnlyRootFilesystem) && c.securityContext.readOnlyRootFilesystem == true)",
		},
		// Ephemeral (debug) containers count too: an intruder can write
		// through them as well, and the CEL form sees them.
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			if windowsOnly(w.Spec) {
				return
			}
			for _, c := range w.Containers() {
				sc := c.Container.SecurityContext
				if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					p.Reportf(w.Object, c.Path+".securityContext.readOnlyRootFilesystem",
						"container %q does not set readOnlyRootFilesystem: true", c.Container.Name)
				}
			}
		},
	})
}

func resourceLimitsMissing() *rules.Rule {
	return rules.AppHardening(&rules.Rule{
		ID:       "container-resource-limits-missing",
		Requires: []analysis.Key{limitDefaults},
		Category: finding.CategoryPodSecurity,
		Severity: finding.SeverityMedium,
		Title:    "Container has no CPU or memory limit",
		Rationale: "A container without limits can take the node's memory or CPU: one leak or one abusive " +
			"request (or a cryptominer) degrades every pod on the node, and the kubelet evicts others first.",
		Remediation: "Set resources.limits.memory (and usually resources.limits.cpu) on every container, or give " +
			"the namespace a LimitRange with default limits.",
		References: finding.References{
			NSA:   []string{"Pod security: resource policies"},
			MITRE: []string{"T1496", "T1499"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"},
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			defaults := rules.Use(p, limitDefaults)[w.Object.Namespace]
			for _, c := range w.Containers() {
				if c.Kind == extract.KindEphemeral {
					continue // ephemeral containers may not set resources
				}
				var missing []string
				for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
					if _, ok := c.Container.Resources.Limits[res]; !ok && !defaults[res] {
						missing = append(missing, string(res))
					}
				}
				if len(missing) > 0 {
					p.Reportf(w.Object, c.Path+".resources.limits", "container %q has no %s limit",
						c.Container.Name, strings.Join(missing, " or "))
				}
			}
		},
	})
}

// limitDefaults records, per namespace, which resources a scanned LimitRange
// gives a default container limit for: containers there get the default
// at admission, so a missing limit is not a finding.
var limitDefaults = &analysis.Analysis[map[string]map[corev1.ResourceName]bool]{
	Name: "podsecurity.limitDefaults",
	Build: func(inv *inventory.Inventory) map[string]map[corev1.ResourceName]bool {
		out := map[string]map[corev1.ResourceName]bool{}
		for _, o := range inv.ByKind("", "LimitRange") {
			lr, ok := o.Typed.(*corev1.LimitRange)
			if !ok {
				continue
			}
			for _, item := range lr.Spec.Limits {
				if item.Type != corev1.LimitTypeContainer {
					continue
				}
				for res := range item.Default {
					if out[o.Namespace] == nil {
						out[o.Namespace] = map[corev1.ResourceName]bool{}
					}
					out[o.Namespace][res] = true
				}
			}
		}
		return out
	},
}

func tokenAutomount() *rules.Rule {
	// Static pods get no token: the kubelet's mirror pods may not name a
	// service account, so the ServiceAccount admission plugin mounts none.
	return rules.AppHardening(&rules.Rule{
		ID:       "service-account-token-automount",
		Requires: []analysis.Key{analysis.Objects, boundAccounts},
		Category: finding.CategoryPodSecurity,
		Severity: finding.SeverityLow,
		Title:    "Service account token is mounted where it is not needed",
		Rationale: "Every pod gets an API token unless automounting is turned off. When the pod's service " +
			"account has no RoleBinding or ClusterRoleBinding the pod does not talk to the API server, and the " +
			"token only helps an intruder: it authenticates to the API and whatever is later granted to the " +
			"account, or to all service accounts, becomes theirs.",
		Remediation: "Set automountServiceAccountToken: false on the pod spec (or on the ServiceAccount). Pods " +
			"that call the API should use their own service account with a RoleBinding to a minimal Role.",
		References: finding.References{
			CIS:   []string{"5.1.6"},
			NSA:   []string{"Authentication and authorization: service account tokens"},
			MITRE: []string{"T1528"},
			URLs:  []string{"https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/"},
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			if w.Spec.AutomountServiceAccountToken != nil && !*w.Spec.AutomountServiceAccountToken {
				return
			}
			sa := w.Spec.ServiceAccountName
			if sa == "" {
				sa = "default"
			}
			ns := w.Object.Namespace
			if w.Spec.AutomountServiceAccountToken == nil {
				if o, ok := p.Inventory().Get("", "ServiceAccount", ns, sa); ok {
					if acct, ok := o.Typed.(*corev1.ServiceAccount); ok &&
						acct.AutomountServiceAccountToken != nil && !*acct.AutomountServiceAccountToken {
						return
					}
				}
			}
			if rules.Use(p, boundAccounts).granted(ns, sa) {
				// A granted account is taken to be used by pods that call
				// the API, except "default": no pod asks for it, so its
				// grants reach every pod that names no account.
				if sa == "default" {
					p.ReportSeverity(w.Object, finding.SeverityMedium, w.SpecPath+".automountServiceAccountToken",
						`service account "default" is granted permissions by a binding and its token is mounted in every pod that names no account`)
				}
				return
			}
			p.Reportf(w.Object, w.SpecPath+".automountServiceAccountToken",
				"service account %q gets an API token but no scanned RoleBinding or ClusterRoleBinding grants it anything", sa)
		},
	})
}
