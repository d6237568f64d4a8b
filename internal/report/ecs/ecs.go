package ecs

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/kguard/kguard/internal/ecs"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// Datasets (event.dataset) of the records this format writes.
const (
	DatasetFindings   = "kguard.findings"
	DatasetFrameworks = "kguard.frameworks"
)

// rulesDocURI is where every rule is documented, one anchor per ID.
const rulesDocURI = "https://github.com/kguard/kguard/blob/main/docs/rules.md"

// Write renders res as ECS JSON lines.
func Write(w io.Writer, res *scan.Result, opts report.Options) error {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	ts := now.UTC().Format(time.RFC3339Nano)
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := ecs.NewEncoder(bw)
	byID := report.RuleIndex(res, opts)
	for _, list := range [][]finding.Finding{res.Findings, res.Suppressed} {
		for i := range list {
			r := FindingRecord(&list[i], byID[list[i].Rule], ts)
			r.BaselineStatus = opts.Baseline.Status(&list[i])
			if list[i].Suppressed != nil {
				r.BaselineStatus = ""
			}
			if err := enc.Encode(&r); err != nil {
				return fmt.Errorf("write ECS report: %w", err)
			}
		}
	}
	for _, ne := range res.NotEvaluated {
		r := problemRecord(ts, "kguard-not-evaluated", "Not evaluated", "not evaluated: "+report.DescribeNotEvaluated(ne))
		r.Namespace, r.OrchestratorNamespace = ne.Namespace, ne.Namespace
		if err := enc.Encode(&r); err != nil {
			return fmt.Errorf("write ECS report: %w", err)
		}
	}
	for _, e := range opts.InputErrors {
		if e == nil {
			continue
		}
		r := problemRecord(ts, "kguard-input-error", "Input not scanned", "input not scanned: "+e.Error())
		r.FilePath, r.SourceLine = e.File, e.Line
		if err := enc.Encode(&r); err != nil {
			return fmt.Errorf("write ECS report: %w", err)
		}
	}
	for _, fr := range opts.Frameworks {
		for _, c := range fr.Controls {
			r := ControlRecord(fr, c, ts)
			if err := enc.Encode(&r); err != nil {
				return fmt.Errorf("write ECS report: %w", err)
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write ECS report: %w", err)
	}
	return nil
}

// FindingRecord is the ECS record of one finding; rule is its rule (nil
// when unknown), ts the report's time.
func FindingRecord(f *finding.Finding, rule *rules.Rule, ts string) ecs.Record {
	r := ecs.Record{
		Timestamp: ts, ECSVersion: ecs.Version,
		Kind: "state", Module: "kguard", Dataset: DatasetFindings,
		Category: []string{"configuration"}, Type: []string{"info"},
		Severity: ecs.SeverityNumber(f.Severity), LogLevel: f.Severity.String(),
		RuleID: f.Rule, RuleName: f.Title, RuleCategory: string(f.Category), RuleRuleset: "kguard",
		RuleReference: rulesDocURI + "#" + f.Rule,
		Message:       f.Message,
		Orchestrator:  "kubernetes", APIVersion: f.Resource.APIVersion, ResourceType: f.Resource.Kind, ResourceName: f.Resource.Name,
		Namespace: f.Resource.Namespace, OrchestratorNamespace: f.Resource.Namespace, Cluster: f.Source.Cluster,
		FilePath: f.Source.File, SourceLine: f.Source.Line, SourceOrigin: f.Source.Origin,
		Field: f.Field, Fingerprint: finding.Fingerprint(f),
	}
	if r.RuleName == "" {
		r.RuleName = f.Rule
	}
	if f.Category != "" {
		r.Tags = []string{string(f.Category)}
	}
	if rule != nil {
		r.RuleDescription, r.Remediation = rule.Rationale, rule.Remediation
		if len(rule.References.MITRE) > 0 {
			r.ThreatFramework = "MITRE ATT&CK"
			r.Techniques = append([]string{}, rule.References.MITRE...)
		}
	}
	if s := f.Suppressed; s != nil {
		r.SuppressedBy, r.SuppressionReason, r.SuppressionExpiry = s.By, s.Reason, s.Expires
	}
	return r
}

// outcome maps a control's status to event.outcome.
var outcome = map[framework.Status]string{
	framework.Pass: "success", framework.Fail: "failure", framework.NotEvaluated: "unknown", framework.Manual: "unknown",
}

// ControlRecord is the ECS record of one control of a framework verdict.
func ControlRecord(fr *framework.Result, c framework.ControlResult, ts string) ecs.Record {
	f := fr.Framework
	r := ecs.Record{
		Timestamp: ts, ECSVersion: ecs.Version,
		Kind: "state", Module: "kguard", Dataset: DatasetFrameworks,
		Category: []string{"configuration"}, Type: []string{"info"}, Outcome: outcome[c.Status],
		LogLevel: "info",
		RuleID:   c.ID, RuleName: c.Title, RuleRuleset: f.Name, RuleVersion: f.Version, RuleReference: f.URL,
		RuleDescription: f.Title + " " + f.Version + ": " + c.Section,
		Message:         fmt.Sprintf("%s %s %s: %s", f.Title, f.Version, c.ID, c.Status),
		ControlStatus:   string(c.Status), ControlSection: c.Section, ControlReason: c.Reason,
		ControlRules: append([]string{}, c.Rules...), ControlFindings: c.Findings, FrameworkMapping: f.Mapping,
	}
	if c.Status == framework.Fail {
		r.LogLevel = "warning"
	}
	if fr.HasScore {
		score := fr.Score
		r.FrameworkScore = &score
	}
	return r
}

func problemRecord(ts, id, name, msg string) ecs.Record {
	return ecs.Record{
		Timestamp: ts, ECSVersion: ecs.Version,
		Kind: "state", Module: "kguard", Dataset: DatasetFindings,
		Category: []string{"configuration"}, Type: []string{"info"}, Outcome: "unknown",
		LogLevel: "error", RuleID: id, RuleName: name, RuleRuleset: "kguard", Message: msg,
	}
}
