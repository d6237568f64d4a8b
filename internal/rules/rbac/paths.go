package rbac

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rbac"
	"github.com/kguard/kguard/internal/rules"
)

// pathRules report escalation paths.
func pathRules() []*rules.Rule {
	return []*rules.Rule{escalationPath()}
}

func escalationPath() *rules.Rule {
	return &rules.Rule{
		ID:       "rbac-escalation-path",
		Requires: []analysis.Key{rbac.ModelAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityCritical,
		Title:    "Workload's service account can escalate to cluster-admin",
		Rationale: "The workload runs with a service account token that, step by step, reaches cluster-admin power: " +
			"it may run pods as (or mint tokens for, read the token secrets of, impersonate) other service accounts " +
			"that hold more, until one may do anything, impersonate system:masters, bind itself any role, or use " +
			"the kubelet API of every node. Whoever compromises the workload owns the cluster; each grant on the " +
			"way may look harmless on its own.",
		Remediation: "Break the path at its first step: give the workload's service account only what it needs (no " +
			"pod or workload creation, token creation or secret reading in namespaces that hold more powerful " +
			"service accounts), move powerful service accounts to namespaces of their own, or set " +
			"automountServiceAccountToken: false when the workload does not call the API. `kguard rbac paths " +
			"serviceaccount:NAMESPACE:NAME` shows the path with its bindings.",
		References: finding.References{
			MITRE: []string{"T1078.004", "T1098"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks"},
		},
		CheckInventory: checkEscalationPaths,
	}
}

// checkEscalationPaths reports every workload, outside kube-system, that
// mounts the token of a service account with a path to cluster-admin.
// kube-system's controllers hold such power by design. Workloads without a
// namespace are skipped: which accounts they get depends on where they
// are deployed.
func checkEscalationPaths(p *rules.Pass) {
	m := rules.Use(p, rbac.ModelAnalysis)
	var esc *rbac.Escalation // built on the first workload that needs it
	type answer struct {
		path rbac.Path
		ok   bool
	}
	seen := map[string]answer{}
	for _, obj := range p.Inventory().Objects() {
		if obj.Namespace == "" || obj.Namespace == "kube-system" {
			continue
		}
		w, ok := extract.PodSpec(obj)
		if !ok {
			continue
		}
		name, field := pathServiceAccount(w)
		if !pathMountsToken(p, w, name) {
			continue
		}
		key := obj.Namespace + "/" + name
		a, done := seen[key]
		if !done {
			if esc == nil {
				esc = m.Escalation()
			}
			a.path, a.ok = esc.PathFrom(rbac.ForServiceAccount(obj.Namespace, name))
			seen[key] = a
		}
		if !a.ok {
			continue
		}
		p.Report(obj, field, fmt.Sprintf("the pods run as ServiceAccount %s/%s, which reaches cluster-admin in %s: %s",
			obj.Namespace, name, pathSteps(len(a.path.Steps)), a.path))
		p.Confirm("rbac", "paths", "serviceaccount:"+obj.Namespace+":"+name)
	}
}

// pathServiceAccount is the service account the workload's pods run as
// ("default" when unset) and the field that sets it.
func pathServiceAccount(w *extract.Workload) (name, field string) {
	switch {
	case w.Spec.ServiceAccountName != "":
		return w.Spec.ServiceAccountName, w.SpecPath + ".serviceAccountName"
	case w.Spec.DeprecatedServiceAccount != "":
		return w.Spec.DeprecatedServiceAccount, w.SpecPath + ".serviceAccount"
	}
	return "default", w.SpecPath
}

// pathMountsToken reports whether the pods get an API token of the service
// account: automounted (the pod's automountServiceAccountToken, else the
// ServiceAccount's, else true) or a projected serviceAccountToken volume.
func pathMountsToken(p *rules.Pass, w *extract.Workload, account string) bool {
	for _, v := range w.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				return true
			}
		}
	}
	if a := w.Spec.AutomountServiceAccountToken; a != nil {
		return *a
	}
	if o, ok := p.Inventory().Get("", "ServiceAccount", w.Object.Namespace, account); ok {
		if sa, ok := o.Typed.(*corev1.ServiceAccount); ok && sa.AutomountServiceAccountToken != nil {
			return *sa.AutomountServiceAccountToken
		}
	}
	return true
}

func pathSteps(n int) string {
	if n == 1 {
		return "1 step"
	}
	return fmt.Sprintf("%d steps", n)
}
