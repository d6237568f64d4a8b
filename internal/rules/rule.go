package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
)

// References ties a rule to the standards that motivate it.
type References struct {
	// CIS lists CIS Kubernetes Benchmark sections, such as "5.2.2".
	CIS []string `json:"cis,omitempty"`
	// NSA lists sections of the NSA-CISA Kubernetes Hardening Guide.
	NSA []string `json:"nsa,omitempty"`
	// MITRE lists MITRE ATT&CK technique IDs, such as "T1611".
	MITRE []string `json:"mitre,omitempty"`
	// PSS names the Pod Security Standards control, such as
	// "baseline: Privileged Containers".
	PSS string `json:"pss,omitempty"`
	// URLs are further reading.
	URLs []string `json:"urls,omitempty"`
}

func (r References) empty() bool {
	return len(r.CIS) == 0 && len(r.NSA) == 0 && len(r.MITRE) == 0 && r.PSS == "" && len(r.URLs) == 0
}

// Rule is one check with the metadata that explains it. Exactly one of the
// Check* functions is set.
type Rule struct {
	// ID is stable and human readable ("image-latest-tag"): users put it in
	// ignore annotations and config files, so it never changes.
	ID          string
	Category    Category
	Severity    Severity
	Title       string
	Rationale   string
	Remediation string
	References  References

	// CheckWorkload is called once for every object that has a pod spec.
	CheckWorkload func(p *Pass, w *extract.Workload)
	// CheckObject is called once for every object whose kind is in Kinds
	// (every object when Kinds is empty).
	CheckObject func(p *Pass, obj *inventory.Object)
	Kinds       []schema.GroupKind
	// CheckInventory is called once per scan and may look at every object
	// (cross-object rules: quotas per namespace, RBAC paths, reachability).
	CheckInventory func(p *Pass)

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

// SingleObject reports whether the rule decides from one object alone, so
// that it can run at admission time on the object being admitted.
func (r *Rule) SingleObject() bool { return r.CheckInventory == nil }

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

// List renders the references as human-readable strings, in a fixed order:
// CIS, NSA-CISA, MITRE ATT&CK, Pod Security Standards, URLs.
func (r References) List() []string {
	var out []string
	for _, s := range r.CIS {
		out = append(out, "CIS Kubernetes Benchmark "+s)
	}
	for _, s := range r.NSA {
		out = append(out, "NSA-CISA Kubernetes Hardening Guide: "+s)
	}
	for _, s := range r.MITRE {
		out = append(out, "MITRE ATT&CK "+s)
	}
	if r.PSS != "" {
		out = append(out, "Pod Security Standards, "+r.PSS)
	}
	return append(out, r.URLs...)
}
