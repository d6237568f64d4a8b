package rules

import (
	"fmt"
	"sync"
	"time"

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
	Inventory *inventory.Inventory
	Settings  *Settings
	Rule      *Rule

	analyses *Analyses
	findings []Finding
}

// NewPass prepares a pass of rule over inv. Scan engines call it; rules and
// tests of rules can too.
func NewPass(rule *Rule, inv *inventory.Inventory, settings *Settings, analyses *Analyses) *Pass {
	if settings == nil {
		settings = &Settings{}
	}
	if analyses == nil {
		analyses = NewAnalyses(inv)
	}
	return &Pass{Inventory: inv, Settings: settings, Rule: rule, analyses: analyses}
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
func (p *Pass) ReportSeverity(obj *inventory.Object, sev Severity, field, message string) {
	supp, _ := ignoredByAnnotation(obj, p.Rule.ID)
	p.findings = append(p.findings, Finding{
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
func (p *Pass) Findings() []Finding { return p.findings }

// Len is how many findings the pass holds.
func (p *Pass) Len() int { return len(p.findings) }

// AppendFindings appends what the pass reported to dst and empties the
// pass, keeping its buffer: the scan engine calls it after every object.
func (p *Pass) AppendFindings(dst []Finding) []Finding {
	dst = append(dst, p.findings...)
	clear(p.findings)
	p.findings = p.findings[:0]
	return dst
}

// TakeFindings returns the findings and resets the pass, so that engines
// can reuse one pass over many objects.
func (p *Pass) TakeFindings() []Finding {
	f := p.findings
	p.findings = nil
	return f
}

// Analysis is a computation over the whole inventory that several rules
// share, such as the RBAC graph or the reachability model. It is built at
// most once per scan, and only when some enabled rule uses it.
type Analysis[T any] struct {
	Name  string
	Build func(inv *inventory.Inventory) T
}

// Analyses memoizes analyses for one inventory. Safe for concurrent use.
type Analyses struct {
	inv   *inventory.Inventory
	mu    sync.Mutex
	cells map[any]*cell
}

type cell struct {
	once sync.Once
	val  any
}

// NewAnalyses returns an empty memo for inv.
func NewAnalyses(inv *inventory.Inventory) *Analyses {
	return &Analyses{inv: inv, cells: make(map[any]*cell)}
}

// Use returns the analysis' result for the pass's inventory, building it on
// first use.
func Use[T any](p *Pass, a *Analysis[T]) T {
	return UseWith(p.analyses, a)
}

// UseWith is Use for callers outside a rule (CLI queries share the memo).
func UseWith[T any](m *Analyses, a *Analysis[T]) T {
	m.mu.Lock()
	c, ok := m.cells[a]
	if !ok {
		c = &cell{}
		m.cells[a] = c
	}
	m.mu.Unlock()
	c.once.Do(func() { c.val = a.Build(m.inv) })
	return c.val.(T)
}
