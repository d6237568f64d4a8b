package json

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// The document types are this package's own, not the scan's structs
// marshalled as they are: the contract must not change when an internal
// type gains a field or a tag. Where a type mirrors an internal one
// (resource, source, notEvaluated) it is filled by conversion, so adding a
// field to the internal type stops the build here until someone decides
// whether it belongs in the contract.

type document struct {
	Findings []jsonFinding `json:"findings"`
	// Suppressed is a pointer so that "asked for, none" is [] and "not
	// asked for" leaves the key out.
	Suppressed   *[]jsonFinding `json:"suppressed,omitempty"`
	NotEvaluated []notEvaluated `json:"notEvaluated"`
	Errors       []inputError   `json:"errors"`
	Summary      summary        `json:"summary"`
	Tool         tool           `json:"tool"`
	// Fixed lists the baseline's findings that are gone; present only
	// with a baseline.
	Fixed *[]fixedFinding `json:"fixed,omitempty"`
	// Frameworks are the verdicts of --framework; absent without it.
	Frameworks *[]frameworkResult `json:"frameworks,omitempty"`
}

type frameworkResult struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Version string `json:"version"`
	Mapping int    `json:"mapping"`
	Source  string `json:"source"`
	URL     string `json:"url"`
	// Score is null when no control passed or failed.
	Score    *float64           `json:"score"`
	Counts   frameworkCounts    `json:"counts"`
	Partial  bool               `json:"partial"`
	Controls []frameworkControl `json:"controls"`
}

type frameworkCounts struct {
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	NotEvaluated int `json:"notEvaluated"`
	Manual       int `json:"manual"`
}

type frameworkControl struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Section  string         `json:"section"`
	Status   string         `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	Rules    []string       `json:"rules"`
	Failing  []ruleFindings `json:"failing"`
	Findings int            `json:"findings"`
}

type ruleFindings struct {
	Rule     string `json:"rule"`
	Findings int    `json:"findings"`
}

type fixedFinding struct {
	Rule        string   `json:"rule"`
	Severity    string   `json:"severity"`
	Title       string   `json:"title"`
	Resource    resource `json:"resource"`
	Message     string   `json:"message"`
	Field       string   `json:"field"`
	Source      source   `json:"source"`
	Fingerprint string   `json:"fingerprint"`
}

type jsonFinding struct {
	Rule        string       `json:"rule"`
	Category    string       `json:"category"`
	Severity    string       `json:"severity"`
	Title       string       `json:"title"`
	Resource    resource     `json:"resource"`
	Message     string       `json:"message"`
	Field       string       `json:"field"`
	Source      source       `json:"source"`
	CIS         []string     `json:"cis,omitempty"`
	Suppression *suppression `json:"suppression,omitempty"`
	// Fingerprint is finding.Fingerprint: stable across runs.
	Fingerprint string `json:"fingerprint"`
	// Remediation is the rule's, "" when the rule is unknown.
	Remediation string `json:"remediation"`
	// Baseline is "new" or "unchanged" with a baseline, else absent.
	Baseline string `json:"baseline,omitempty"`
}

type resource struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

type source struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Origin  string `json:"origin,omitempty"`
	Cluster string `json:"cluster,omitempty"`
}

type suppression struct {
	By      string `json:"by"`
	Reason  string `json:"reason"`
	Expires string `json:"expires,omitempty"`
}

type notEvaluated struct {
	Subject    string `json:"subject"`
	Namespace  string `json:"namespace,omitempty"`
	Reason     string `json:"reason"`
	Permission string `json:"permission,omitempty"`
}

type inputError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// bySeverity is a struct, not a map, so keys come out most urgent first
// rather than alphabetically.
type bySeverity struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

type summary struct {
	Objects      int        `json:"objects"`
	Rules        int        `json:"rules"`
	Findings     int        `json:"findings"`
	BySeverity   bySeverity `json:"bySeverity"`
	Suppressed   int        `json:"suppressed"`
	NotEvaluated int        `json:"notEvaluated"`
	InputErrors  int        `json:"inputErrors"`
	Partial      bool       `json:"partial"`
	// ByRule counts the findings of each rule that has any, most severe
	// rule first.
	ByRule []ruleCount `json:"byRule"`
	// Filtered counts findings left out by display filters; absent when
	// none were.
	Filtered *filtered `json:"filtered,omitempty"`
	// Baseline compares the run with the baseline; absent without one.
	Baseline *baselineSummary `json:"baseline,omitempty"`
}

type ruleCount struct {
	Rule       string     `json:"rule"`
	Findings   int        `json:"findings"`
	BySeverity bySeverity `json:"bySeverity"`
}

type filtered struct {
	Findings int    `json:"findings"`
	By       string `json:"by"`
}

type baselineSummary struct {
	File      string `json:"file"`
	New       int    `json:"new"`
	Unchanged int    `json:"unchanged"`
	Fixed     int    `json:"fixed"`
}

type tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Write renders res as the JSON document described in the package doc.
func Write(w io.Writer, res *scan.Result, opts report.Options) error {
	doc := document{
		NotEvaluated: []notEvaluated{},
		Errors:       []inputError{},
		Tool:         tool{Name: "kguard", Version: opts.ToolVersion},
	}
	rulesByID := report.RuleIndex(res, opts)
	if opts.ShowSuppressed {
		list := convertFindings(res.Suppressed, rulesByID)
		doc.Suppressed = &list
	}
	for _, ne := range res.NotEvaluated {
		doc.NotEvaluated = append(doc.NotEvaluated, notEvaluated(ne))
	}
	for _, e := range opts.InputErrors {
		if e == nil {
			continue
		}
		doc.Errors = append(doc.Errors, inputError{File: e.File, Line: e.Line, Message: report.InputErrorMessage(e)})
	}

	s := res.Summarize()
	doc.Summary = summary{
		Objects:  s.Objects,
		Rules:    s.Rules,
		Findings: s.Findings,
		BySeverity: bySeverity{
			Critical: s.BySeverity[finding.SeverityCritical.String()],
			High:     s.BySeverity[finding.SeverityHigh.String()],
			Medium:   s.BySeverity[finding.SeverityMedium.String()],
			Low:      s.BySeverity[finding.SeverityLow.String()],
			Info:     s.BySeverity[finding.SeverityInfo.String()],
		},
		Suppressed:   s.Suppressed,
		NotEvaluated: s.NotEvaluated,
		InputErrors:  len(doc.Errors),
		Partial:      report.Partial(res, opts),
		ByRule:       countByRule(res.Findings),
	}
	if f := opts.Filtered; f.Count > 0 {
		doc.Summary.Filtered = &filtered{Findings: f.Count, By: f.By}
	}
	if b := opts.Baseline; b != nil {
		fixed := report.Fixed(res, opts)
		c := report.Counts(res, opts)
		doc.Summary.Baseline = &baselineSummary{File: b.Name, New: c.New, Unchanged: c.Unchanged, Fixed: c.Fixed}
		list := make([]fixedFinding, 0, len(fixed))
		for _, bf := range fixed {
			list = append(list, fixedFinding{
				Rule: bf.Rule, Severity: bf.Severity.String(), Title: bf.Title, Resource: resource(bf.Resource),
				Message: bf.Message, Field: bf.Field, Source: source(bf.Source), Fingerprint: bf.Fingerprint,
			})
		}
		doc.Fixed = &list
	}

	if len(opts.Frameworks) > 0 {
		list := make([]frameworkResult, 0, len(opts.Frameworks))
		for _, fr := range opts.Frameworks {
			list = append(list, convertFramework(fr))
		}
		doc.Frameworks = &list
	}

	doc.Findings = []jsonFinding{} // streamed in by WriteJSONStreaming
	err := report.WriteJSONStreaming(w, doc, "findings", len(res.Findings), func(i int) jsonFinding {
		c := convertFinding(&res.Findings[i], rulesByID)
		c.Baseline = opts.Baseline.Status(&res.Findings[i])
		return c
	})
	if err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

func convertFramework(fr *framework.Result) frameworkResult {
	f := fr.Framework
	out := frameworkResult{
		Name: f.Name, Title: f.Title, Version: f.Version, Mapping: f.Mapping, Source: f.Source, URL: f.URL,
		Counts:   frameworkCounts{Pass: fr.Pass, Fail: fr.Fail, NotEvaluated: fr.NotEvaluated, Manual: fr.Manual},
		Partial:  fr.Partial,
		Controls: make([]frameworkControl, 0, len(fr.Controls)),
	}
	if fr.HasScore {
		score := math.Round(fr.Score*10) / 10
		out.Score = &score
	}
	for _, c := range fr.Controls {
		fc := frameworkControl{
			ID: c.ID, Title: c.Title, Section: c.Section, Status: string(c.Status), Reason: c.Reason,
			Rules: append([]string{}, c.Rules...), Failing: []ruleFindings{}, Findings: c.Findings,
		}
		for _, rf := range c.Failing {
			fc.Failing = append(fc.Failing, ruleFindings{Rule: rf.Rule, Findings: rf.Findings})
		}
		out.Controls = append(out.Controls, fc)
	}
	return out
}

// countByRule counts findings per rule, most critical findings first,
// then most high, and so on, then by rule ID.
func countByRule(fs []finding.Finding) []ruleCount {
	index := map[string]int{}
	out := []ruleCount{}
	for i := range fs {
		j, ok := index[fs[i].Rule]
		if !ok {
			j = len(out)
			index[fs[i].Rule] = j
			out = append(out, ruleCount{Rule: fs[i].Rule})
		}
		out[j].Findings++
		out[j].BySeverity.add(fs[i].Severity)
	}
	slices.SortFunc(out, func(a, b ruleCount) int {
		return cmp.Or(
			cmp.Compare(b.BySeverity.Critical, a.BySeverity.Critical), cmp.Compare(b.BySeverity.High, a.BySeverity.High),
			cmp.Compare(b.BySeverity.Medium, a.BySeverity.Medium), cmp.Compare(b.BySeverity.Low, a.BySeverity.Low),
			cmp.Compare(b.BySeverity.Info, a.BySeverity.Info), cmp.Compare(a.Rule, b.Rule))
	})
	return out
}

func (b *bySeverity) add(s finding.Severity) {
	switch s {
	case finding.SeverityCritical:
		b.Critical++
	case finding.SeverityHigh:
		b.High++
	case finding.SeverityMedium:
		b.Medium++
	case finding.SeverityLow:
		b.Low++
	default:
		b.Info++
	}
}

func convertFindings(fs []finding.Finding, rulesByID map[string]*rules.Rule) []jsonFinding {
	out := make([]jsonFinding, 0, len(fs))
	for i := range fs {
		out = append(out, convertFinding(&fs[i], rulesByID))
	}
	return out
}

func convertFinding(f *finding.Finding, rulesByID map[string]*rules.Rule) jsonFinding {
	c := jsonFinding{
		Rule:     f.Rule,
		Category: string(f.Category),
		Severity: f.Severity.String(),
		Title:    f.Title,
		Resource: resource(f.Resource),
		Message:  f.Message,
		Field:    f.Field,
		Source:   source(f.Source),
		CIS:      f.CIS,

		Fingerprint: finding.Fingerprint(f),
	}
	if r := rulesByID[f.Rule]; r != nil {
		c.Remediation = r.Remediation
	}
	if f.Suppressed != nil {
		c.Suppression = &suppression{By: f.Suppressed.By, Reason: f.Suppressed.Reason, Expires: f.Suppressed.Expires}
	}
	return c
}
