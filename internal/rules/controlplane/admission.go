package controlplane

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// The namespaces a cluster-wide PodSecurity exemption may name without
// weakening anything an application runs in.
var systemNamespaces = []string{"kube-system"}

func admissionConfigPodSecurity() *rules.Rule {
	return &rules.Rule{
		ID:       "admission-config-pod-security-defaults",
		Category: finding.CategoryPodSecurity,
		Severity: finding.SeverityMedium,
		Title:    "API server's PodSecurity defaults enforce nothing or exempt too much",
		Rationale: "The PodSecurity admission plugin's defaults apply to every namespace without its own " +
			"pod-security.kubernetes.io labels: a default enforce level of privileged (the default when unset) " +
			"lets any new namespace run privileged pods. Exempt users, runtime classes and namespaces bypass " +
			"Pod Security Admission altogether.",
		Remediation: "In the AdmissionConfiguration given to kube-apiserver --admission-control-config-file, set the " +
			"PodSecurity plugin's defaults.enforce to baseline (or restricted) with enforce-version latest, and " +
			"keep exemptions to kube-system and the components that need them; label namespaces that need more.",
		References: finding.References{
			CIS: []string{"5.2.1"},
			// The defaults are how Pod Security Admission is enforced, not a
			// control of the Pod Security Standards.
			NSA:  []string{"Pod security: Pod Security Admission"},
			URLs: []string{"https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-admission-controller/"},
		},
		Kinds: []schema.GroupKind{{Group: "apiserver.config.k8s.io", Kind: "AdmissionConfiguration"}},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			u, ok := obj.Unstructured()
			if !ok {
				return
			}
			plugins, _, _ := unstructured.NestedSlice(u.Object, "plugins")
			for i, pl := range plugins {
				m, _ := pl.(map[string]any)
				if name, _, _ := unstructured.NestedString(m, "name"); name != "PodSecurity" {
					continue
				}
				cfg, found, _ := unstructured.NestedMap(m, "configuration")
				field := fmt.Sprintf("plugins[%d].configuration", i)
				if !found {
					// Given by path: the file is not among the inputs.
					continue
				}
				p.Evaluated(obj)
				enforce, _, _ := unstructured.NestedString(cfg, "defaults", "enforce")
				if enforce == "" || enforce == "privileged" {
					what := "defaults.enforce is " + enforce
					if enforce == "" {
						what = "defaults.enforce is unset (privileged)"
					}
					p.Reportf(obj, field+".defaults.enforce", "PodSecurity %s: namespaces without their own labels accept privileged pods", what)
				}
				for _, kind := range []string{"usernames", "runtimeClasses", "namespaces"} {
					list, _, _ := unstructured.NestedStringSlice(cfg, "exemptions", kind)
					if kind == "namespaces" {
						list = slices.DeleteFunc(list, func(ns string) bool { return slices.Contains(systemNamespaces, ns) })
					}
					if len(list) > 0 {
						p.Reportf(obj, field+".exemptions."+kind, "PodSecurity exempts %s %s from every level",
							kind, strings.Join(list, ", "))
					}
				}
			}
		},
	}
}
