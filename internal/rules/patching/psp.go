package patching

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rules"
)

var pspRemoved = k8sversions.Release{Major: 1, Minor: 25}

func podSecurityPolicy() *rules.Rule {
	return &rules.Rule{
		ID:       "pod-security-policy",
		Category: finding.CategoryPatching,
		Severity: finding.SeverityMedium,
		Title:    "PodSecurityPolicy must move to Pod Security Admission",
		Rationale: "PodSecurityPolicy was deprecated in Kubernetes 1.21 and removed in 1.25. From 1.25 on a " +
			"PodSecurityPolicy object is not even accepted, and clusters that relied on it admit every pod " +
			"unless Pod Security Admission (or another policy engine) took over.",
		Remediation: "Label each namespace the policy covered with pod-security.kubernetes.io/enforce set to the " +
			"Pod Security Standards level this finding names (first with warn and audit labels, or kubectl " +
			"label --dry-run=server, to see which pods would be rejected), then delete the policy and its " +
			"RBAC. Pods that need more than baseline belong in a namespace labelled privileged, isolated from " +
			"the rest.",
		References: finding.References{
			CIS: []string{"5.2.1"},
			NSA: []string{"Pod security: Pod Security Admission"},
			URLs: []string{
				"https://kubernetes.io/docs/tasks/configure-pod-container/migrate-from-psp/",
				"https://kubernetes.io/docs/reference/access-authn-authz/psp-to-pod-security-standards/",
			},
		},
		Kinds: []schema.GroupKind{{Group: "policy", Kind: "PodSecurityPolicy"}, {Group: "extensions", Kind: "PodSecurityPolicy"}},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			u, ok := obj.Unstructured()
			if !ok {
				return
			}
			level, why := pspLevel(u.Object)
			msg := fmt.Sprintf("PodSecurityPolicy %q matches the Pod Security Standards %s level best: "+
				"label the namespaces it covered pod-security.kubernetes.io/enforce=%s", obj.Name, level, level)
			if len(why) > 0 {
				stricter := "restricted"
				if level == "privileged" {
					stricter = "baseline"
				}
				msg += " (not " + stricter + ": " + strings.Join(why, "; ") + ")"
			}
			sev := p.Rule.Severity
			if target(p).AtLeast(pspRemoved) {
				sev = finding.SeverityHigh // the policy protects nothing any more
			}
			p.ReportSeverity(obj, sev, "", msg)
		},
	}
}

// Capabilities a baseline pod may add: the container runtime's default set.
var baselineCaps = []string{"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}

// Volume types restricted allows.
var restrictedVolumes = []string{"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
	"persistentVolumeClaim", "projected", "secret"}

// pspLevel maps a PodSecurityPolicy spec to the strictest Pod Security
// Standards level that admits every pod the policy admits, following the
// Kubernetes "Mapping PodSecurityPolicies to Pod Security Standards" table,
// and says which settings kept it from the next stricter level.
func pspLevel(obj map[string]any) (level string, why []string) {
	spec, _, _ := unstructured.NestedMap(obj, "spec")
	flag := func(name string) bool { b, _, _ := unstructured.NestedBool(spec, name); return b }
	list := func(path ...string) []string { l, _, _ := unstructured.NestedStringSlice(spec, path...); return l }
	str := func(path ...string) string { s, _, _ := unstructured.NestedString(spec, path...); return s }

	// Anything here admits pods that baseline forbids.
	for _, f := range []string{"privileged", "hostPID", "hostIPC", "hostNetwork"} {
		if flag(f) {
			why = append(why, f+" is true")
		}
	}
	if ports, _, _ := unstructured.NestedSlice(spec, "hostPorts"); len(ports) > 0 {
		why = append(why, "hostPorts are allowed")
	}
	vols := list("volumes")
	if slices.Contains(vols, "*") || slices.Contains(vols, "hostPath") {
		why = append(why, "hostPath volumes are allowed")
	}
	for _, c := range append(list("allowedCapabilities"), list("defaultAddCapabilities")...) {
		if c == "*" || !slices.Contains(baselineCaps, strings.TrimPrefix(strings.ToUpper(c), "CAP_")) {
			why = append(why, "capability "+c+" may be added")
		}
	}
	if len(list("allowedUnsafeSysctls")) > 0 {
		why = append(why, "unsafe sysctls are allowed")
	}
	if slices.Contains(list("allowedProcMountTypes"), "Unmasked") {
		why = append(why, "unmasked /proc is allowed")
	}
	if len(why) > 0 {
		return "privileged", why
	}

	// Baseline at least; restricted needs every one of these.
	if ape, found, _ := unstructured.NestedBool(spec, "allowPrivilegeEscalation"); !found || ape {
		why = append(why, "allowPrivilegeEscalation is not false")
	}
	switch rule := str("runAsUser", "rule"); rule {
	case "MustRunAsNonRoot":
	case "MustRunAs":
		if ranges, _, _ := unstructured.NestedSlice(spec, "runAsUser", "ranges"); !minAboveZero(ranges) {
			why = append(why, "runAsUser ranges include UID 0")
		}
	default:
		why = append(why, "runAsUser.rule is "+orUnset(rule)+", not MustRunAsNonRoot")
	}
	if !slices.ContainsFunc(list("requiredDropCapabilities"), func(c string) bool { return strings.EqualFold(c, "ALL") }) {
		why = append(why, "requiredDropCapabilities does not include ALL")
	}
	for _, c := range list("allowedCapabilities") {
		if !strings.EqualFold(strings.TrimPrefix(c, "CAP_"), "NET_BIND_SERVICE") {
			why = append(why, "capability "+c+" may be added")
		}
	}
	for _, v := range vols {
		if !slices.Contains(restrictedVolumes, v) {
			why = append(why, "volume type "+v+" is allowed")
		}
	}
	ann, _, _ := unstructured.NestedStringMap(obj, "metadata", "annotations")
	seccomp := ann["seccomp.security.alpha.kubernetes.io/allowedProfileNames"]
	if seccomp == "" || strings.Contains(seccomp, "*") || strings.Contains(seccomp, "unconfined") {
		why = append(why, "seccomp profiles are not limited to runtime/default or localhost")
	}
	if len(why) > 0 {
		return "baseline", why
	}
	return "restricted", nil
}

func minAboveZero(ranges []any) bool {
	if len(ranges) == 0 {
		return false
	}
	for _, r := range ranges {
		m, ok := r.(map[string]any)
		if !ok {
			return false
		}
		min, _, _ := unstructured.NestedInt64(m, "min")
		if min < 1 {
			return false
		}
	}
	return true
}

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}
