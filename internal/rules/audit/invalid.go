package audit

import (
	"github.com/kguard/kguard/internal/auditpolicy"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func invalidPolicy() *rules.Rule {
	return &rules.Rule{
		ID:       "audit-policy-invalid",
		Category: finding.CategoryAudit,
		Severity: finding.SeverityHigh,
		Title:    "Audit policy is invalid",
		Rationale: "kube-apiserver refuses to start with an audit policy it cannot load: the control plane " +
			"goes down on the next restart, or the policy is never rolled out and auditing stays as it was. " +
			"The other audit rules cannot judge such a policy either.",
		Remediation: "Fix the field the finding names (levels None, Metadata, Request, RequestResponse; stages " +
			"RequestReceived, ResponseStarted, ResponseComplete, Panic; resources or nonResourceURLs, not both) " +
			"and check it with kguard audit explain.",
		References: refs,
		Kinds:      policyKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			u, ok := obj.Unstructured()
			if !ok {
				return
			}
			pol, err := auditpolicy.FromMap(u.Object)
			if err != nil {
				p.Reportf(obj, "", "the API server cannot load this policy: %v", err)
				return
			}
			for _, e := range pol.Validate() {
				field := ""
				if ae, ok := e.(*auditpolicy.Error); ok {
					field = ae.Field
				}
				p.Reportf(obj, field, "the API server cannot load this policy: %v", e)
			}
		},
	}
}
