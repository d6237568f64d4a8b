package rules

import (
	"fmt"
	"slices"
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
}

// Pass is what one rule sees during one scan: the inventory, the settings,
// shared analyses and a place to report findings. A Pass is used by one
// goroutine at a time.
type Pass struct {
	Settings *Settings
	Rule     *Rule

	memo        *analysis.Memo
	findings    []finding.Finding
	evaluations []finding.Evaluation
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

// Provenance is where an object was read from and how its manifest was
// written.
type Provenance struct {
	// File is set for objects read from files (the file, or the template
	// or origin a renderer names); Cluster for objects read from a live
	// cluster.
	File, Cluster string
	// NamespaceDefaulted: the manifest named no namespace, and the loader
	// put the object where kubectl or Helm would create it.
	NamespaceDefaulted bool
}

// Manifest tells where obj was read from. The rule must declare
// analysis.Manifest: provenance is what admission cannot see, so rules
// that judge it do not run there.
func (p *Pass) Manifest(obj *inventory.Object) Provenance {
	if !p.Rule.requires(analysis.Manifest) {
		panic(undeclared{p.Rule.ID, analysis.Manifest.Name})
	}
	return Provenance{File: obj.Source.File, Cluster: obj.Source.Cluster, NamespaceDefaulted: obj.NamespaceDefaulted}
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
	refs := p.Rule.References.CIS
	p.report(obj, sev, refs[:len(refs):len(refs)], field, message)
}

// ReportCIS records a finding that fails only the listed CIS checks of a
// rule that covers several (Report attributes a finding to all of them).
// Every ID must be among the rule's References.CIS; an empty list ties the
// finding to no check. sev is usually p.Rule.Severity.
func (p *Pass) ReportCIS(obj *inventory.Object, sev finding.Severity, cis []string, field, message string) {
	p.declaredCIS(cis)
	p.report(obj, sev, cis, field, message)
}

func (p *Pass) report(obj *inventory.Object, sev finding.Severity, cis []string, field, message string) {
	supp, _ := ignoredByAnnotation(obj, p.Rule.ID)
	if len(cis) == 0 {
		cis = nil
	}
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
		CIS:        cis,
	})
}

// Confirm attaches to the finding just reported the kguard query that
// shows its claim holds (finding.Finding.Confirm), such as
// "rbac", "can-i", "serviceaccount:shop:web", "get", "secrets", "-n", "shop".
func (p *Pass) Confirm(args ...string) {
	if n := len(p.findings); n > 0 {
		p.findings[n-1].Confirm = args
	}
}

// Evaluated records that the rule judged obj against the listed CIS checks
// (all of its References.CIS when none are listed), whether or not it
// reported anything: a benchmark report then shows the checks as passed
// rather than not evaluated. A rule calls it only when it could decide,
// never for an object it skipped. Every ID must be among the rule's
// References.CIS.
func (p *Pass) Evaluated(obj *inventory.Object, cis ...string) {
	if len(cis) == 0 {
		cis = p.Rule.References.CIS
	}
	p.declaredCIS(cis)
	if len(cis) == 0 {
		return
	}
	p.evaluations = append(p.evaluations, finding.Evaluation{Rule: p.Rule.ID, Resource: obj.Ref, CIS: cis[:len(cis):len(cis)]})
}

// declaredCIS panics, like Use, when a check ID is not among the rule's
// references: a finding must not claim a check its rule does not document.
func (p *Pass) declaredCIS(cis []string) {
	for _, id := range cis {
		if !slices.Contains(p.Rule.References.CIS, id) {
			panic(undeclaredCIS{p.Rule.ID, id})
		}
	}
}

// undeclaredCIS is the panic value of a CIS check a rule does not list.
type undeclaredCIS struct{ rule, id string }

func (u undeclaredCIS) String() string {
	return fmt.Sprintf("rule %s names CIS check %s, which is not in its References.CIS", u.rule, u.id)
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

// AppendEvaluations appends what the pass recorded with Evaluated to dst
// and forgets it, like AppendFindings.
func (p *Pass) AppendEvaluations(dst []finding.Evaluation) []finding.Evaluation {
	if len(p.evaluations) == 0 {
		return dst
	}
	dst = append(dst, p.evaluations...)
	clear(p.evaluations)
	p.evaluations = p.evaluations[:0]
	return dst
}

// Evaluations returns what the pass recorded with Evaluated so far.
func (p *Pass) Evaluations() []finding.Evaluation { return p.evaluations }

// TakeFindings returns the findings and resets the pass, so that engines
// can reuse one pass over many objects.
func (p *Pass) TakeFindings() []finding.Finding {
	f := p.findings
	p.findings = nil
	return f
}
