// Package vap exports kguard rules as admissionregistration.k8s.io/v1
// ValidatingAdmissionPolicies, so a cluster can enforce them natively in
// the API server, without a webhook. Only rules that carry a CEL form are
// exported; the others are listed as needing the webhook.
package vap

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

// Variables every workload policy defines, as the API server evaluates
// them: the pod spec of any workload kind, and all of its containers.
var WorkloadVariables = []admissionregistrationv1.Variable{
	{Name: "podSpec", Expression: "object.kind == 'Pod' ? object.spec : " +
		"(object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : " +
		"(object.kind == 'PodTemplate' ? object.template.spec : object.spec.template.spec))"},
	{Name: "containers", Expression: "(has(variables.podSpec.initContainers) ? variables.podSpec.initContainers : []) + " +
		"variables.podSpec.containers + " +
		"(has(variables.podSpec.ephemeralContainers) ? variables.podSpec.ephemeralContainers : [])"},
}

// workloadResources are the resources whose objects carry a pod spec.
var workloadResources = []struct{ group, resource string }{
	{"", "pods"}, {"", "podtemplates"}, {"", "replicationcontrollers"},
	{"apps", "deployments"}, {"apps", "statefulsets"}, {"apps", "daemonsets"}, {"apps", "replicasets"},
	{"batch", "jobs"}, {"batch", "cronjobs"},
}

// kindResources maps the kinds CheckObject rules name to their resources.
var kindResources = map[schema.GroupKind]string{
	{Kind: "Service"}: "services", {Kind: "ConfigMap"}: "configmaps", {Kind: "Secret"}: "secrets",
	{Kind: "Namespace"}: "namespaces", {Kind: "ServiceAccount"}: "serviceaccounts",
	{Group: "networking.k8s.io", Kind: "Ingress"}: "ingresses", {Group: "networking.k8s.io", Kind: "NetworkPolicy"}: "networkpolicies",
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}: "roles", {Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}: "rolebindings",
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}: "clusterroles", {Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: "clusterrolebindings",
}

// Options shape the exported objects.
type Options struct {
	// Action is what the binding does on violation: Deny, Warn or Audit.
	// With Deny, rules below medium severity only warn, as in the
	// webhook's restricted mode, so both enforcement paths agree.
	Action admissionregistrationv1.ValidationAction
	// ExcludeNamespaces are left out of every binding (kube-system by default).
	ExcludeNamespaces []string
}

// Policy is one rule's policy and binding.
type Policy struct {
	Rule    *rules.Rule
	Policy  *admissionregistrationv1.ValidatingAdmissionPolicy
	Binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
}

// Export builds a policy and binding for every rule with a CEL form, and
// returns the rules that have none.
func Export(reg *rules.Registry, opts Options) ([]Policy, []*rules.Rule, error) {
	if opts.Action == "" {
		opts.Action = admissionregistrationv1.Deny
	}
	if opts.ExcludeNamespaces == nil {
		opts.ExcludeNamespaces = []string{"kube-system"}
	}
	var out []Policy
	var unsupported []*rules.Rule
	for _, r := range reg.Rules() {
		if r.CEL == nil || r.CheckInventory != nil {
			unsupported = append(unsupported, r)
			continue
		}
		p, err := build(r, opts)
		if err != nil {
			return nil, nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		out = append(out, p)
	}
	return out, unsupported, nil
}

// Name is the policy name for a rule.
func Name(ruleID string) string { return "kguard-" + ruleID }

func build(r *rules.Rule, opts Options) (Policy, error) {
	var resourceRules []admissionregistrationv1.NamedRuleWithOperations
	add := func(group, resource string) {
		resourceRules = append(resourceRules, admissionregistrationv1.NamedRuleWithOperations{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{group}, APIVersions: []string{"*"}, Resources: []string{resource},
				},
			},
		})
	}
	var variables []admissionregistrationv1.Variable
	switch {
	case r.CheckWorkload != nil:
		for _, w := range workloadResources {
			add(w.group, w.resource)
		}
		variables = WorkloadVariables
	case len(r.Kinds) > 0:
		for _, k := range r.Kinds {
			res, ok := kindResources[k]
			if !ok {
				return Policy{}, fmt.Errorf("no resource known for kind %s", k)
			}
			add(k.Group, res)
		}
	default:
		return Policy{}, fmt.Errorf("a CEL rule must name its kinds")
	}
	fail := admissionregistrationv1.Fail
	equivalent := admissionregistrationv1.Equivalent
	validation := admissionregistrationv1.Validation{
		Expression:        r.CEL.Expression,
		Message:           fmt.Sprintf("kguard %s: %s", r.ID, r.Title),
		MessageExpression: r.CEL.MessageExpression,
		Reason:            ptr(metav1.StatusReasonForbidden),
	}
	if validation.MessageExpression != "" {
		validation.MessageExpression = fmt.Sprintf("'kguard %s: ' + (%s)", r.ID, validation.MessageExpression)
	}
	name := Name(r.ID)
	labels := map[string]string{"app.kubernetes.io/managed-by": "kguard", "kguard.io/rule": r.ID}
	pol := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: map[string]string{"kguard.io/remediation": r.Remediation}},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy:    &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: resourceRules, MatchPolicy: &equivalent},
			Variables:        variables,
			Validations:      []admissionregistrationv1.Validation{validation},
		},
	}
	bind := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: actions(actionFor(r, opts.Action)),
		},
	}
	// Namespaces the webhook would not deny in (kguard.io/enforce audit or
	// off) are left out, so both enforcement paths agree.
	exprs := []metav1.LabelSelectorRequirement{{
		Key: "kguard.io/enforce", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"audit", "off"},
	}}
	if len(opts.ExcludeNamespaces) > 0 {
		exprs = append([]metav1.LabelSelectorRequirement{{
			Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: slices.Clone(opts.ExcludeNamespaces),
		}}, exprs...)
	}
	bind.Spec.MatchResources = &admissionregistrationv1.MatchResources{
		NamespaceSelector: &metav1.LabelSelector{MatchExpressions: exprs},
	}
	return Policy{Rule: r, Policy: pol, Binding: bind}, nil
}

// actionFor softens Deny to Warn for low and info rules.
func actionFor(r *rules.Rule, a admissionregistrationv1.ValidationAction) admissionregistrationv1.ValidationAction {
	if a == admissionregistrationv1.Deny && r.Severity < finding.SeverityMedium {
		return admissionregistrationv1.Warn
	}
	return a
}

// actions adds Audit to Warn and Deny so violations always reach the audit log.
func actions(a admissionregistrationv1.ValidationAction) []admissionregistrationv1.ValidationAction {
	if a == admissionregistrationv1.Audit {
		return []admissionregistrationv1.ValidationAction{a}
	}
	return []admissionregistrationv1.ValidationAction{a, admissionregistrationv1.Audit}
}

// ParseAction accepts deny, warn or audit in any case.
func ParseAction(s string) (admissionregistrationv1.ValidationAction, error) {
	for _, a := range []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny, admissionregistrationv1.Warn, admissionregistrationv1.Audit} {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown action %q (want deny, warn or audit)", s)
}

func ptr[T any](v T) *T { return &v }
