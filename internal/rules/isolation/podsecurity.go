package isolation

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// EnforceLabel is the namespace label that sets the Pod Security Standard
// the Pod Security Admission controller enforces there.
const EnforceLabel = "pod-security.kubernetes.io/enforce"

func podSecurityNotEnforced() *rules.Rule {
	return &rules.Rule{
		ID:       "namespace-pod-security-not-enforced",
		Category: finding.CategoryIsolation,
		Severity: finding.SeverityMedium,
		Title:    "Namespace does not enforce a Pod Security Standard",
		Rationale: "Pod Security Admission only rejects pods that break a Pod Security Standard in namespaces " +
			"labelled " + EnforceLabel + ". Without the label the cluster-wide default applies, which is " +
			"privileged (nothing enforced) unless the API server was configured otherwise; with the label set to " +
			"privileged, anyone who can create a pod there can run it privileged, share the host's namespaces " +
			"and mount its filesystem, which is a path to root on the node.",
		Remediation: "Label the namespace " + EnforceLabel + ": restricted (or baseline where workloads need it), " +
			"after a trial with the audit and warn labels. A system namespace that must run privileged pods " +
			"(kube-system, a CNI's namespace) should carry an exception with a reason in .kguard.yaml.",
		References: finding.References{
			CIS:   []string{"5.2.1"},
			NSA:   []string{"Pod security: Pod Security Admission"},
			MITRE: []string{"T1610", "T1611"},
			URLs: []string{
				"https://kubernetes.io/docs/concepts/security/pod-security-admission/",
				"https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/",
			},
		},
		Kinds: []schema.GroupKind{{Kind: "Namespace"}},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			level, ok := obj.Meta.Labels[EnforceLabel]
			field := "metadata.labels[" + `"` + EnforceLabel + `"` + "]"
			switch {
			case !ok:
				p.Reportf(obj, "metadata.labels", "namespace %q has no %s label: pods there are held to the cluster's default level, privileged unless configured otherwise", obj.Name, EnforceLabel)
			case level == "privileged":
				p.Reportf(obj, field, "namespace %q enforces the privileged level, which allows any pod", obj.Name)
			case level == "baseline" || level == "restricted":
			default:
				p.Reportf(obj, field, "namespace %q sets %s to %q, which is not a level (privileged, baseline or restricted)", obj.Name, EnforceLabel, level)
			}
		},
	}
}
