package framework

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// Status is a control's verdict.
type Status string

// The statuses, in the order reports count them.
const (
	Pass         Status = "pass"
	Fail         Status = "fail"
	NotEvaluated Status = "not-evaluated"
	Manual       Status = "manual"
)

// ControlResult is one control's verdict.
type ControlResult struct {
	ID, Title string
	// Section is the section's ID and title.
	SectionID, Section string
	Status             Status
	// Reason says why a control is not evaluated or manual, and notes
	// rules that did not run behind one that passed.
	Reason string
	// Rules are the rules mapped to the control; Failing those with
	// findings that count, and Findings how many in all.
	Rules    []string
	Failing  []RuleFindings
	Findings int
}

// RuleFindings is a rule and how many findings that count it has.
type RuleFindings struct {
	Rule     string
	Findings int
}

// Result is a framework's verdict on a scan.
type Result struct {
	Framework *Framework
	Controls  []ControlResult
	// Counts per status.
	Pass, Fail, NotEvaluated, Manual int
	// Score is 100 × passing / (passing + failing) controls; HasScore is
	// false when no control passed or failed.
	Score    float64
	HasScore bool
	// Partial is set when the scan could not evaluate everything (a
	// resource kguard may not list): a pass may then be unearned.
	Partial bool
}

// Evaluate judges every control of f on res. known are the rules kguard
// has (the registry's), so that a control whose rules did not run says
// which; nil means the rules that ran.
func Evaluate(f *Framework, res *scan.Result, known []*rules.Rule) *Result {
	if known == nil {
		known = res.Rules
	}
	// The mapping covers every rule known plus any that ran (a command's
	// own rules need not be in the registry).
	all := slices.Clone(known)
	seen := map[string]bool{}
	for _, r := range known {
		seen[r.ID] = true
	}
	for _, r := range res.Rules {
		if !seen[r.ID] {
			all = append(all, r)
		}
	}
	mapped := f.RulesByControl(all)
	ran := map[string]bool{}
	for _, r := range res.Rules {
		ran[r.ID] = true
	}
	findings := map[string]int{}
	for i := range res.Findings {
		findings[res.Findings[i].Rule]++
	}
	broken := map[string]string{} // rule -> why it could not be evaluated
	partial := false
	for _, ne := range res.NotEvaluated {
		if id, ok := strings.CutPrefix(ne.Subject, "rule "); ok {
			id, _, _ = strings.Cut(id, " ")
			if _, dup := broken[id]; !dup {
				broken[id] = ne.Reason
			}
			continue
		}
		partial = true
	}

	out := &Result{Framework: f, Partial: partial}
	for _, s := range f.Sections {
		for _, c := range s.Controls {
			cr := ControlResult{ID: c.ID, Title: c.Title, SectionID: s.ID, Section: s.Title, Rules: mapped[c.ID]}
			var notRun, errored []string
			for _, id := range cr.Rules {
				switch {
				case findings[id] > 0:
					cr.Failing = append(cr.Failing, RuleFindings{id, findings[id]})
					cr.Findings += findings[id]
				case !ran[id]:
					notRun = append(notRun, id)
				case broken[id] != "":
					errored = append(errored, id)
				}
			}
			switch {
			case len(cr.Rules) == 0 && c.Manual:
				cr.Status = Manual
				cr.Reason = firstOf(c.Note, s.Note, "a manual check: no kguard rule covers it")
			case len(cr.Rules) == 0:
				cr.Status = NotEvaluated
				cr.Reason = firstOf(c.Note, s.Note, "no kguard rule covers it")
			case len(cr.Failing) > 0:
				cr.Status = Fail
			case len(notRun) == len(cr.Rules):
				cr.Status = NotEvaluated
				cr.Reason = "its rules did not run (disabled, or not part of this command): " + strings.Join(notRun, ", ")
			case len(errored) > 0:
				cr.Status = NotEvaluated
				cr.Reason = fmt.Sprintf("rule %s could not be evaluated: %s", errored[0], broken[errored[0]])
			default:
				cr.Status = Pass
				if len(notRun) > 0 {
					cr.Reason = "passed on the rules that ran; did not run: " + strings.Join(notRun, ", ")
				}
			}
			switch cr.Status {
			case Pass:
				out.Pass++
			case Fail:
				out.Fail++
			case NotEvaluated:
				out.NotEvaluated++
			case Manual:
				out.Manual++
			}
			out.Controls = append(out.Controls, cr)
		}
	}
	if n := out.Pass + out.Fail; n > 0 {
		out.Score, out.HasScore = 100*float64(out.Pass)/float64(n), true
	}
	return out
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// ScoreText is the score as reports print it: "72%", or "n/a" when no
// control passed or failed.
func (r *Result) ScoreText() string {
	if !r.HasScore {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", r.Score)
}
