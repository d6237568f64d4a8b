package finding

import (
	"cmp"
	"slices"

	"github.com/kguard/kguard/internal/inventory"
)

// Finding is one rule violated by one object. Its JSON form is part of
// kguard's output contract: fields may be added, never changed.
type Finding struct {
	Rule     string           `json:"rule"`
	Category Category         `json:"category"`
	Severity Severity         `json:"severity"`
	Title    string           `json:"title"`
	Resource inventory.Ref    `json:"resource"`
	Message  string           `json:"message"`
	Field    string           `json:"field,omitempty"`
	Source   inventory.Source `json:"source"`
	// CIS lists the CIS Kubernetes Benchmark checks this finding fails:
	// all of its rule's References.CIS, or the few a rule that covers
	// several checks names for this finding (a file's mode fails the check
	// of that file only). Benchmark reports are keyed by it.
	CIS []string `json:"cis,omitempty"`
	// Confirm, when set, is a kguard query that shows the finding's claim
	// holds: its arguments (the inputs, as given to the scan, go after
	// them), answering yes (exit status 0) on the same inputs. An RBAC
	// finding's is `rbac can-i SUBJECT VERB RESOURCE`, a network finding's
	// `netpol can FROM TO`. The cross-command agreement test runs them.
	Confirm []string `json:"confirm,omitempty"`
	// Suppressed says why the finding does not count, when it does not.
	Suppressed *Suppression `json:"suppressed,omitempty"`
}

// Evaluation records that a rule judged one object against some of its
// CIS checks, whether or not it found a problem. It lets a benchmark
// report tell a check that passed from one that nothing evaluated (the
// component or file it is about was not among the inputs).
type Evaluation struct {
	Rule     string        `json:"rule"`
	Resource inventory.Ref `json:"resource"`
	CIS      []string      `json:"cis"`
}

// Suppression records who silenced a finding and why.
type Suppression struct {
	// By is "annotation" or "config".
	By      string `json:"by"`
	Reason  string `json:"reason,omitempty"`
	Expires string `json:"expires,omitempty"`
}

// CompareFindings orders findings by file, line, resource, rule, field and
// message, the stable order every report uses.
func CompareFindings(a, b *Finding) int {
	return cmp.Or(
		cmp.Compare(a.Source.File, b.Source.File),
		cmp.Compare(a.Source.Line, b.Source.Line),
		cmp.Compare(a.Resource.Namespace, b.Resource.Namespace),
		cmp.Compare(a.Resource.Kind, b.Resource.Kind),
		cmp.Compare(a.Resource.Name, b.Resource.Name),
		cmp.Compare(a.Resource.APIVersion, b.Resource.APIVersion),
		cmp.Compare(a.Rule, b.Rule),
		cmp.Compare(a.Field, b.Field),
		cmp.Compare(a.Message, b.Message),
	)
}

// SortFindings sorts in place by CompareFindings.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int { return CompareFindings(&a, &b) })
}
