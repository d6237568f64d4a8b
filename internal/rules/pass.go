package rules

import (
	"fmt"
	"time"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
)

// Settings are the scan-wide knobs rules read. They come from flags and the
// config file; the zero value is usable (Now is then the scan's start).
type Settings struct {
	// TargetVersion is the Kubernetes release ("1.37") that patching rules
	// check against; "" means the newest release kguard knows.
	TargetVersion string
	// Now is the reference time for expiry checks.
	Now time.Time
	// AllowedRegistries, when non-empty, lists the image registries (host or
	// host/path prefix) that images may come from.
	AllowedRegistries []string
	// CertExpiryWarning is how long before expiry a certificate is reported.
	CertExpiryWarning time.Duration
	// Exceptions are the config's exceptions, for the rules that audit the
	// config itself (config-exception-*); the scan fills them in.
	Exceptions []ConfigException
	// RulesRun are the IDs of the rules this scan runs.
	RulesRun []string
}

// ConfigException is one exception of the config file, as the rules that
// audit the config see it. The config package fills it in, and owns what
// matching means (MatchesRule, MatchesObject), so that those rules and the
// scan's suppression agree.
type ConfigException struct {
	// Index is the exception's position in the file's exceptions list.
	Index int
	// Describe is the exception in words: its selectors and reason.
	Describe string
	// Expires is the last day it applies as written (YYYY-MM-DD), ""
	// when it never expires; LastDay is that day.
	Expires string
	LastDay time.Time
	// Source is the config file and the exception's line.
	Source inventory.Source
	// MatchesRule reports whether the exception applies to a rule ID;
	// MatchesObject whether it applies to an object (namespace, kind and
	// name selectors).
	MatchesRule   func(id string) bool
	MatchesObject func(ref inventory.Ref) bool
}

// Expired reports whether the exception no longer applies at now: it
// applies through the whole of its last day.
func (e *ConfigException) Expired(now time.Time) bool {
	return ExpiredAfter(e.LastDay, now)
}

// ExpiredAfter reports whether now is past lastDay, which counts whole (a
// zero lastDay never expires). The config's suppression and the rules that
// audit it both judge by it.
func ExpiredAfter(lastDay, now time.Time) bool {
	return !lastDay.IsZero() && now.After(lastDay.AddDate(0, 0, 1))
}

// Pass is what one rule sees during one scan: the inventory, the settings,
// shared analyses and a place to report findings. A Pass is used by one
// goroutine at a time.
type Pass struct {
	Settings *Settings
	Rule     *Rule

	memo     *analysis.Memo
	findings []finding.Finding
}

// NewPass prepares a pass of rule over inv. Scan engines call it; rules and
// tests of rules can too.
// memo holds the analyses of the scanned inventory; nil builds a fresh one.
func NewPass(rule *Rule, inv *inventory.Inventory, settings *Settings, memo *analysis.Memo) *Pass {
	if settings == nil {
		settings = &Settings{}
	}
	if memo == nil {
		memo = analysis.NewMemo(inv)
	}
	return &Pass{Settings: settings, Rule: rule, memo: memo}
}

// Inventory returns every scanned object. Inventory-scoped rules may always
// read it; an object or workload rule must declare analysis.Objects in
// Requires, which keeps it out of admission (where there is one object).
func (p *Pass) Inventory() *inventory.Inventory {
	if p.Rule.Scope() != ScopeInventory && !p.Rule.requires(analysis.Objects) {
		panic(undeclared{p.Rule.ID, analysis.Objects.Name})
	}
	return p.memo.Inventory()
}

// Use returns analysis a's result for the scanned inventory, building it
// on first use. The rule must list a in Requires: an undeclared use panics,
// which the scan reports as the rule not evaluated and the rule's fixture
// tests fail on.
func Use[T any](p *Pass, a *analysis.Analysis[T]) T {
	if !p.Rule.requires(a) {
		panic(undeclared{p.Rule.ID, a.Name})
	}
	return analysis.Get(p.memo, a)
}

// undeclared is the panic value of a use the rule did not declare.
type undeclared struct{ rule, analysis string }

func (u undeclared) String() string {
	return fmt.Sprintf("rule %s uses %s without declaring it in Requires", u.rule, u.analysis)
}

// Report records a finding against obj at the rule's severity. field is the
// object's field path the finding is about ("" for the whole object).
func (p *Pass) Report(obj *inventory.Object, field, message string) {
	p.ReportSeverity(obj, p.Rule.Severity, field, message)
}

// Reportf is Report with a format string.
func (p *Pass) Reportf(obj *inventory.Object, field, format string, args ...any) {
	p.Report(obj, field, fmt.Sprintf(format, args...))
}

// ReportSeverity records a finding whose severity differs from the rule's
// default, for rules whose risk depends on context.
func (p *Pass) ReportSeverity(obj *inventory.Object, sev finding.Severity, field, message string) {
	supp, _ := ignoredByAnnotation(obj, p.Rule.ID)
	p.findings = append(p.findings, finding.Finding{
		Suppressed: supp,
		Rule:       p.Rule.ID,
		Category:   p.Rule.Category,
		Severity:   sev,
		Title:      p.Rule.Title,
		Resource:   obj.Ref,
		Message:    message,
		Field:      field,
		Source:     obj.Source,
	})
}

// Now is the time date-dependent rules judge by: Settings.Now (the scan's
// start, or --as-of), or the current time when a caller left it unset.
func (p *Pass) Now() time.Time {
	if p.Settings.Now.IsZero() {
		return time.Now()
	}
	return p.Settings.Now
}

// Findings returns what the pass reported so far.
func (p *Pass) Findings() []finding.Finding { return p.findings }

// Len is how many findings the pass holds.
func (p *Pass) Len() int { return len(p.findings) }

// AppendFindings appends what the pass reported to dst and empties the
// pass, keeping its buffer: the scan engine calls it after every object.
func (p *Pass) AppendFindings(dst []finding.Finding) []finding.Finding {
	dst = append(dst, p.findings...)
	clear(p.findings)
	p.findings = p.findings[:0]
	return dst
}

// TakeFindings returns the findings and resets the pass, so that engines
// can reuse one pass over many objects.
func (p *Pass) TakeFindings() []finding.Finding {
	f := p.findings
	p.findings = nil
	return f
}
