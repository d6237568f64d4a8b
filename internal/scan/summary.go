package scan

import (
	"cmp"
	"slices"

	"github.com/kguard/kguard/internal/finding"
)

// Summary counts a result for reports and exit codes.
type Summary struct {
	Objects      int            `json:"objects"`
	Rules        int            `json:"rules"`
	Findings     int            `json:"findings"`
	BySeverity   map[string]int `json:"bySeverity"`
	Suppressed   int            `json:"suppressed"`
	NotEvaluated int            `json:"notEvaluated"`
	// Partial is true when something could not be evaluated.
	Partial bool `json:"partial"`
}

// Summarize counts the result.
func (r *Result) Summarize() Summary {
	s := Summary{
		Objects:      r.Objects,
		Rules:        len(r.Rules),
		Findings:     len(r.Findings),
		BySeverity:   map[string]int{},
		Suppressed:   len(r.Suppressed),
		NotEvaluated: len(r.NotEvaluated),
		Partial:      len(r.NotEvaluated) > 0,
	}
	for _, sev := range finding.AllSeverities() {
		s.BySeverity[sev.String()] = 0
	}
	for _, f := range r.Findings {
		s.BySeverity[f.Severity.String()]++
	}
	return s
}

// Worst returns the highest severity among the findings that count, and
// false when there are none.
func (r *Result) Worst() (finding.Severity, bool) {
	if len(r.Findings) == 0 {
		return 0, false
	}
	worst := finding.SeverityInfo
	for _, f := range r.Findings {
		worst = max(worst, f.Severity)
	}
	return worst, true
}

func sortNotEvaluated(ne []finding.NotEvaluated) {
	slices.SortFunc(ne, func(a, b finding.NotEvaluated) int {
		return cmp.Or(cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Reason, b.Reason))
	})
}

// sortEvaluations orders evaluations by rule and resource, so that reports
// do not depend on which worker ran what.
func sortEvaluations(ev []finding.Evaluation) {
	slices.SortFunc(ev, func(a, b finding.Evaluation) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Resource.Kind, b.Resource.Kind),
			cmp.Compare(a.Resource.Namespace, b.Resource.Namespace), cmp.Compare(a.Resource.Name, b.Resource.Name),
			cmp.Compare(a.Resource.APIVersion, b.Resource.APIVersion), slices.Compare(a.CIS, b.CIS))
	})
}
