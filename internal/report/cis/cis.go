package cis

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// Status is the outcome of one benchmark check.
type Status string

// Check outcomes.
const (
	// Pass: a rule that covers the check judged something it applies to,
	// and nothing failed it.
	Pass Status = "PASS"
	// Fail: a finding fails the check (suppressed findings too: an
	// exception accepts a failure, it does not make it pass).
	Fail Status = "FAIL"
	// Manual: the benchmark leaves the verdict to people; what kguard's
	// rules found is shown alongside.
	Manual Status = "MANUAL"
	// NotEvaluated: nothing the check applies to was among the inputs, the
	// rules that cover it did not run, or none exists.
	NotEvaluated Status = "NOT EVALUATED"
)

// Result is one check's outcome.
type Result struct {
	Check
	Status Status
	// Rules are the registry's rules whose References.CIS list the check.
	Rules []string
	// Findings fail the check, suppressed ones included (marked).
	Findings []finding.Finding
	// Evaluated counts the objects the rules judged against the check.
	Evaluated int
	// Reason explains NOT EVALUATED, and what kguard found for MANUAL.
	Reason string
}

// Report is the benchmark view of one scan.
type Report struct {
	Results []Result
	// NotEvaluated and InputErrors are what the scan could not read or
	// check at all.
	NotEvaluated []finding.NotEvaluated
	InputErrors  []string
}

// Build derives each check's status from the scan's findings and
// evaluations and from the rules' CIS references: which rule covers which
// check is data the rules carry, never a list kept here. reg supplies the
// rules that did not run (disabled); nil means only res.Rules.
func Build(res *scan.Result, reg *rules.Registry) *Report {
	ran := map[string]bool{}
	covering := map[string][]string{}
	addRule := func(r *rules.Rule) {
		for _, id := range r.References.CIS {
			if !slices.Contains(covering[id], r.ID) {
				covering[id] = append(covering[id], r.ID)
			}
		}
	}
	for _, r := range res.Rules {
		ran[r.ID] = true
		addRule(r)
	}
	if reg != nil {
		for _, r := range reg.Rules() {
			addRule(r)
		}
	}
	failing := map[string][]finding.Finding{}
	for _, list := range [][]finding.Finding{res.Findings, res.Suppressed} {
		for _, f := range list {
			for _, id := range f.CIS {
				failing[id] = append(failing[id], f)
			}
		}
	}
	evaluated := map[string]int{}
	for _, e := range res.Evaluations {
		for _, id := range e.CIS {
			evaluated[id]++
		}
	}
	broken := map[string]bool{} // rules that panicked somewhere
	for _, ne := range res.NotEvaluated {
		if id, ok := strings.CutPrefix(ne.Subject, "rule "); ok {
			id, _, _ = strings.Cut(id, " ")
			broken[id] = true
		}
	}

	rep := &Report{NotEvaluated: res.NotEvaluated}
	for _, c := range Catalog() {
		r := Result{Check: c, Rules: covering[c.ID], Findings: failing[c.ID], Evaluated: evaluated[c.ID]}
		finding.SortFindings(r.Findings)
		var running, idle, failed []string
		for _, id := range r.Rules {
			switch {
			case broken[id]:
				failed = append(failed, id)
			case ran[id]:
				running = append(running, id)
			default:
				idle = append(idle, id)
			}
		}
		switch {
		case !c.Automated:
			r.Status = Manual
			switch {
			case len(r.Findings) > 0:
				r.Reason = "kguard's rules fail it"
			case r.Evaluated > 0:
				r.Reason = "kguard's rules found nothing against it"
			}
		case len(r.Findings) > 0:
			r.Status = Fail
		case len(r.Rules) == 0:
			r.Status, r.Reason = NotEvaluated, "no kguard rule covers it"
		case len(failed) > 0:
			r.Status, r.Reason = NotEvaluated, "rule "+strings.Join(failed, ", ")+" could not be evaluated"
		case len(running) == 0:
			r.Status, r.Reason = NotEvaluated, "rule "+strings.Join(idle, ", ")+" did not run (disabled)"
		case r.Evaluated > 0:
			r.Status = Pass
		default:
			r.Status, r.Reason = NotEvaluated, "no "+strings.TrimPrefix(strings.TrimPrefix(c.Target, "a "), "an ")+" among the inputs"
		}
		rep.Results = append(rep.Results, r)
	}
	return rep
}

// Counts tallies the statuses of some results.
type Counts map[Status]int

// Write renders res as the CIS view: every check with its status, the
// findings that fail it, totals per section, and what could not be
// checked. It is a report format (-o cis) of every command that scans.
func Write(w io.Writer, res *scan.Result, opts report.Options) error {
	rep := Build(res, opts.Registry)
	for _, e := range opts.InputErrors {
		if e != nil {
			rep.InputErrors = append(rep.InputErrors, e.Error())
		}
	}
	return rep.Write(w)
}

// Write renders the report as text.
func (rep *Report) Write(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "CIS Kubernetes Benchmark %s\n", Version)
	var order []string
	per := map[string]Counts{}
	all := Counts{}
	for _, r := range rep.Results {
		sec := r.Section()
		if per[sec] == nil {
			per[sec] = Counts{}
			order = append(order, sec)
			fmt.Fprintf(&b, "\n[%s] %s\n", sec, Sections[sec])
		}
		per[sec][r.Status]++
		all[r.Status]++
		line := fmt.Sprintf("[%s] %s %s", r.Status, r.ID, r.Title)
		if len(r.Rules) > 0 {
			line += "  (" + strings.Join(r.Rules, ", ") + ")"
		}
		b.WriteString(line + "\n")
		switch {
		case r.Status == NotEvaluated:
			fmt.Fprintf(&b, "      %s\n", r.Reason)
		case r.Status == Manual && r.Reason != "":
			fmt.Fprintf(&b, "      %s\n", r.Reason)
		}
		for _, f := range r.Findings {
			mark := ""
			if f.Suppressed != nil {
				mark = " [" + report.Suppression(f.Suppressed) + "]"
			}
			fmt.Fprintf(&b, "      %s %s: %s%s\n", strings.ToUpper(f.Severity.String()), f.Resource, f.Message, mark)
		}
	}
	b.WriteString("\n== Summary per section ==\n")
	for _, sec := range order {
		fmt.Fprintf(&b, "%-4s %-40s %s\n", sec, Sections[sec], per[sec])
	}
	fmt.Fprintf(&b, "total %s\n", all)
	if n := len(rep.NotEvaluated) + len(rep.InputErrors); n > 0 {
		fmt.Fprintf(&b, "\nNOT CHECKED (%d): kguard could not check these; no FAIL here does not mean they pass\n", n)
		for _, ne := range rep.NotEvaluated {
			fmt.Fprintf(&b, "  ! %s\n", report.DescribeNotEvaluated(ne))
		}
		for _, e := range rep.InputErrors {
			fmt.Fprintf(&b, "  ! %s\n", e)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func (c Counts) String() string {
	return fmt.Sprintf("%d pass, %d fail, %d manual, %d not evaluated", c[Pass], c[Fail], c[Manual], c[NotEvaluated])
}
