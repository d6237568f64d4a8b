package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
)

// Rule is one check with the metadata that explains it. Exactly one of the
// Check* functions is set.
type Rule struct {
	// ID is stable and human readable ("image-latest-tag"): users put it in
	// ignore annotations and config files, so it never changes.
	ID          string
	Category    finding.Category
	Severity    finding.Severity
	Title       string
	Rationale   string
	Remediation string
	References  finding.References

	// CheckWorkload is called once for every object that has a pod spec.
	CheckWorkload func(p *Pass, w *extract.Workload)
	// CheckObject is called once for every object whose kind is in Kinds
	// (every object when Kinds is empty).
	CheckObject func(p *Pass, obj *inventory.Object)
	Kinds       []schema.GroupKind
	// CheckInventory is called once per scan and may look at every object
	// (cross-object rules: quotas per namespace, RBAC paths, reachability).
	CheckInventory func(p *Pass)

	// Requires lists every analysis the check uses (rules.Use), and
	// analysis.Objects when an object or workload check looks up other
	// objects. Pass hands out nothing else. A rule with an object or
	// workload scope and no requirement decides from one object alone, so
	// it runs at admission (AtAdmission).
	Requires []analysis.Key

	// DisabledByDefault rules run only when the config enables them.
	DisabledByDefault bool

	// CEL, when set, expresses the rule for native enforcement by the API
	// server (a ValidatingAdmissionPolicy, see `kguard policy export`). A
	// test requires it to agree with the Go check on the rule's fixtures.
	CEL *CEL
}

// CEL is a rule written as a ValidatingAdmissionPolicy validation.
type CEL struct {
	// Expression is true when the object is acceptable. It sees `object`
	// and, for CheckWorkload rules, `variables.podSpec` (the pod spec of
	// any workload kind) and `variables.containers` (init, regular and
	// ephemeral containers). Only standard CEL and the Kubernetes string
	// library may be used.
	Expression string
	// MessageExpression, when set, builds the denial message; otherwise
	// the rule's title is the message.
	MessageExpression string
}

// Scope is how much of the input a rule reads to decide.
type Scope int

// Scopes, from the narrowest.
const (
	// ScopeObject rules look at one object of their Kinds (CheckObject).
	ScopeObject Scope = iota + 1
	// ScopeWorkload rules look at one object's pod spec (CheckWorkload).
	ScopeWorkload
	// ScopeInventory rules look at everything scanned (CheckInventory).
	ScopeInventory
)

var scopeNames = map[Scope]string{ScopeObject: "object", ScopeWorkload: "workload", ScopeInventory: "inventory"}

func (s Scope) String() string { return scopeNames[s] }

// Scope is the rule's scope, given by which check function it sets.
func (r *Rule) Scope() Scope {
	switch {
	case r.CheckInventory != nil:
		return ScopeInventory
	case r.CheckWorkload != nil:
		return ScopeWorkload
	}
	return ScopeObject
}

// AtAdmission reports whether the rule decides from one object alone (an
// object or workload scope with no requirement), so that the admission
// webhook and exported policies can judge the object being admitted and
// give the scan's answer. It is derived from the declaration, never set.
func (r *Rule) AtAdmission() bool {
	return r.Scope() != ScopeInventory && len(r.Requires) == 0
}

// requires reports whether the rule declared k.
func (r *Rule) requires(k analysis.Key) bool {
	for _, d := range r.Requires {
		if d == k {
			return true
		}
	}
	return false
}

// AppliesTo reports whether a CheckObject rule looks at objects of gk.
func (r *Rule) AppliesTo(gk schema.GroupKind) bool {
	if r.CheckObject == nil {
		return false
	}
	if len(r.Kinds) == 0 {
		return true
	}
	for _, k := range r.Kinds {
		if k == gk {
			return true
		}
	}
	return false
}
