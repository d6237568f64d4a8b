// Package audit holds the audit rule family: what an audit policy records.
//
// The rules look at audit.k8s.io Policy objects among the scanned inputs
// (the file given to kube-apiserver --audit-policy-file) and evaluate a
// fixed list of operations against them with the API server's first-match
// semantics (package auditpolicy).
package audit

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/auditpolicy"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// Rules returns the audit family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{invalidPolicy(), blindSpot(), logsSecrets(), noCatchAll(), everythingRequestResponse()}
}

var policyKinds = []schema.GroupKind{{Group: auditpolicy.Group, Kind: auditpolicy.Kind}}

const docsURL = "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/"

var refs = finding.References{
	CIS:   []string{"3.2.1", "3.2.2"},
	NSA:   []string{"Audit logging and threat detection"},
	MITRE: []string{"T1562.008"},
	URLs:  []string{docsURL},
}

// policyOf decodes the object's policy; objects that are not valid
// policies are left to other tools (the API server refuses them anyway).
func policyOf(obj *inventory.Object) (*auditpolicy.Policy, bool) {
	u, ok := obj.Unstructured()
	if !ok {
		return nil, false
	}
	p, err := auditpolicy.FromMap(u.Object)
	if err != nil {
		return nil, false
	}
	for i := range p.Rules {
		if p.Rules[i].Level.Rank() < 0 {
			return nil, false
		}
	}
	return p, true
}

// ruleField is the field path of rule i, or "rules" when no rule matched.
func ruleField(i int) string {
	if i < 0 {
		return "rules"
	}
	return fmt.Sprintf("rules[%d]", i)
}

// groupByRule collects names by the index of the rule that decided them,
// in rule order (no match last).
type byRule struct {
	order []int
	names map[int][]string
}

func (b *byRule) add(i int, name string) {
	if b.names == nil {
		b.names = map[int][]string{}
	}
	if _, ok := b.names[i]; !ok {
		b.order = append(b.order, i)
	}
	b.names[i] = append(b.names[i], name)
}

func (b *byRule) each(f func(i int, names []string)) {
	sort.Slice(b.order, func(x, y int) bool {
		ox, oy := b.order[x], b.order[y]
		if ox < 0 || oy < 0 {
			return ox >= 0
		}
		return ox < oy
	})
	for _, i := range b.order {
		f(i, b.names[i])
	}
}

var allStages = []auditpolicy.Stage{auditpolicy.StageRequestReceived, auditpolicy.StageResponseComplete}

func blindSpot() *rules.Rule {
	return &rules.Rule{
		ID:       "audit-policy-blind-spot",
		Category: finding.CategoryAudit,
		Severity: finding.SeverityHigh,
		Title:    "Audit policy does not record sensitive operations",
		Rationale: "The audit log is how an intrusion is reconstructed: who read which Secret, who ran a command " +
			"in a pod, who granted themselves cluster-admin or installed a webhook. An operation the policy records " +
			"at level None (or whose every stage is omitted) leaves no trace, which is what an attacker covering " +
			"their tracks wants (MITRE ATT&CK T1562.008).",
		Remediation: "Record reading Secrets, pods/exec, pods/attach, pods/portforward, nodes/proxy, token requests, " +
			"RBAC and admission webhook changes at least at Metadata: put such rules before any broad level None " +
			"rule, keep None rules narrow (specific users, verbs and resources), and end the policy with a " +
			"catch-all such as `- level: Metadata`. `kguard audit explain POLICY` shows where each operation lands.",
		References:  refs,
		Kinds:       policyKinds,
		CheckObject: checkBlindSpot,
	}
}

func checkBlindSpot(p *rules.Pass, obj *inventory.Object) {
	pol, ok := policyOf(obj)
	if !ok {
		return
	}
	var dropped, omitted byRule
	for _, op := range auditpolicy.Operations() {
		if !op.Sensitive {
			continue
		}
		level, omit, i := auditpolicy.Evaluate(pol, op.Request)
		switch {
		case level == auditpolicy.LevelNone:
			dropped.add(i, op.Name())
		case !auditpolicy.Recorded(level, omit, allStages):
			omitted.add(i, op.Name())
		}
	}
	dropped.each(func(i int, names []string) {
		if i < 0 {
			p.Reportf(obj, "rules", "no rule matches %s, so they are not logged (level None)", strings.Join(names, ", "))
			return
		}
		p.Reportf(obj, ruleField(i), "rule %d (level None) drops %s from the audit log", i, strings.Join(names, ", "))
	})
	omitted.each(func(i int, names []string) {
		p.Reportf(obj, ruleField(i)+".omitStages", "rule %d omits every stage of %s, so they are not logged", i, strings.Join(names, ", "))
	})
}

func logsSecrets() *rules.Rule {
	return &rules.Rule{
		ID:       "audit-policy-logs-secrets",
		Category: finding.CategoryAudit,
		Severity: finding.SeverityHigh,
		Title:    "Audit policy writes Secret values and tokens to the log",
		Rationale: "At level RequestResponse the log holds response bodies: every Secret read (get, list, watch) " +
			"and every service account token minted. At level Request it holds request bodies: Secret data on " +
			"create and update, and the bearer token of every TokenReview. The audit log is then as sensitive as " +
			"etcd, yet it is usually shipped to a log platform many people can read.",
		Remediation: "Record secrets, serviceaccounts/token and tokenreviews at level Metadata, in a rule placed " +
			"before any broader Request or RequestResponse rule, as the Kubernetes documentation's example " +
			"policy does.",
		References:  refs,
		Kinds:       policyKinds,
		CheckObject: checkLogsSecrets,
	}
}

func checkLogsSecrets(p *rules.Pass, obj *inventory.Object) {
	pol, ok := policyOf(obj)
	if !ok {
		return
	}
	var leaks byRule
	for _, op := range auditpolicy.Operations() {
		if op.LeaksAt == "" {
			continue
		}
		level, omit, i := auditpolicy.Evaluate(pol, op.Request)
		if level.AtLeast(op.LeaksAt) && auditpolicy.Recorded(level, omit, allStages) {
			leaks.add(i, fmt.Sprintf("%s at %s", op.Name(), level))
		}
	}
	leaks.each(func(i int, names []string) {
		p.Reportf(obj, ruleField(i), "rule %d records %s: the audit log then holds Secret data or tokens", i, strings.Join(names, ", "))
	})
}

func noCatchAll() *rules.Rule {
	return &rules.Rule{
		ID:       "audit-policy-no-catch-all",
		Category: finding.CategoryAudit,
		Severity: finding.SeverityMedium,
		Title:    "Audit policy has no final rule that records every other request",
		Rationale: "A request that matches no rule is not logged. Policies list what their authors thought of; " +
			"without a catch-all, requests on new API groups, custom resources and unusual URLs, the ones an " +
			"attacker may use, leave no trace.",
		Remediation: "End the rules with a rule without conditions that records at least metadata, for " +
			"example `- level: Metadata` with `omitStages: [RequestReceived]`.",
		References:  refs,
		Kinds:       policyKinds,
		CheckObject: checkNoCatchAll,
	}
}

// probeRules evaluates the catch-all probes: the requests at None (by name)
// and the index of the rule every probe lands on (-1 when they differ or
// none matches).
func probeRules(pol *auditpolicy.Policy) (unlogged []string, byNone bool, catchAll int) {
	catchAll = -2
	for _, req := range auditpolicy.CatchAllProbes() {
		level, omit, i := auditpolicy.Evaluate(pol, req)
		if !auditpolicy.Recorded(level, omit, allStages) {
			unlogged = append(unlogged, req.String())
			byNone = byNone || (i >= 0 && level == auditpolicy.LevelNone)
		}
		switch catchAll {
		case -2:
			catchAll = i
		case i:
		default:
			catchAll = -1
		}
	}
	return unlogged, byNone, catchAll
}

func checkNoCatchAll(p *rules.Pass, obj *inventory.Object) {
	pol, ok := policyOf(obj)
	if !ok {
		return
	}
	unlogged, byNone, catchAll := probeRules(pol)
	if len(unlogged) == 0 {
		return
	}
	example := unlogged[0]
	if len(unlogged) > 1 {
		example += " or " + unlogged[len(unlogged)-1]
	}
	if byNone && catchAll >= 0 {
		p.Reportf(obj, ruleField(catchAll), "the catch-all rule %d is level None: requests no other rule names, such as %s, are not logged", catchAll, example)
		return
	}
	p.Reportf(obj, "rules", "no final rule matches every request: requests no rule names, such as %s, are not logged", example)
}

func everythingRequestResponse() *rules.Rule {
	return &rules.Rule{
		ID:       "audit-policy-everything-request-response",
		Category: finding.CategoryAudit,
		Severity: finding.SeverityLow,
		Title:    "Audit policy records every other request with full bodies",
		Rationale: "A catch-all at RequestResponse writes the request and response body of every request no " +
			"earlier rule handles, list responses included: the log grows by gigabytes a day on a busy cluster, " +
			"and a flooded or rotated-out log hides the events that matter. It usually also captures Secrets.",
		Remediation: "Make the catch-all `- level: Metadata` and record Request or RequestResponse only for the " +
			"resources where bodies matter (for example RBAC and admission configuration changes).",
		References:  refs,
		Kinds:       policyKinds,
		CheckObject: checkEverythingRequestResponse,
	}
}

func checkEverythingRequestResponse(p *rules.Pass, obj *inventory.Object) {
	pol, ok := policyOf(obj)
	if !ok {
		return
	}
	_, _, catchAll := probeRules(pol)
	if catchAll < 0 || pol.Rules[catchAll].Level != auditpolicy.LevelRequestResponse {
		return
	}
	p.Reportf(obj, ruleField(catchAll), "the catch-all rule %d records every other request at RequestResponse, with full request and response bodies", catchAll)
}
