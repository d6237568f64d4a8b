package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// Options are what the caller tells a writer beyond the scan result. The
// zero value is usable.
type Options struct {
	// ShowSuppressed lists suppressed findings (with who silenced them and
	// why) in the table and JSON reports. They are always counted. SARIF
	// and JUnit always carry them, marked as suppressed or skipped: both
	// formats have a first-class way to say "found but accepted", and CI
	// systems read a result that disappears as "fixed".
	ShowSuppressed bool
	// Color enables ANSI colours in human-oriented formats. The CLI sets it
	// only when standard output is a terminal and NO_COLOR is unset.
	Color bool
	// ToolVersion is kguard's version as reports should state it.
	ToolVersion string
	// InputErrors are inputs that could not be read or parsed. Every
	// format reports them as errors, and they make the report partial.
	InputErrors []*inventory.InputError
	// Registry supplies rule metadata for findings whose rule is not among
	// the rules that ran; nil means only res.Rules is consulted.
	Registry *rules.Registry
	// Gate says which findings fail the run (--fail-on, --fail-on-new);
	// formats that mark failures (JUnit) follow it. The zero value fails
	// on every finding.
	Gate Gate
	// Baseline, when set, is the previous report the run is compared with
	// (--baseline): findings are marked new or unchanged and the fixed
	// ones are listed.
	Baseline *Baseline
	// Fixed, when set, is the baseline's findings the whole run no longer
	// has, narrowed by the display filters; see Fixed.
	Fixed *[]BaselineFinding

	// Width, when positive, is the terminal's width in columns: the table
	// wraps its lines to fit. Zero writes every line whole (pipes, files).
	Width int
	// Explain prints each rule's remediation under its findings (table).
	Explain bool
	// Summary prints counts per rule and severity and the resources with
	// most findings instead of every finding (table).
	Summary bool
	// GroupBy groups the table's findings: GroupByResource (default),
	// GroupByRule or GroupByNamespace.
	GroupBy string
	// Filtered says which findings display filters left out of res and
	// how many, so that reports can say so; res holds only the rest.
	Filtered Filtered
	// Frameworks are the verdicts of the frameworks asked for
	// (--framework): every format reports every control.
	Frameworks []*framework.Result
	// Now is the time of the report, for formats that stamp records (ECS);
	// zero means the current time.
	Now time.Time
	// Analyses are the scan's analyses (the RBAC and network models), for
	// formats that draw from them (html); nil when the command built none.
	Analyses *analysis.Memo
}

// Groupings of the table report.
const (
	GroupByResource  = "resource"
	GroupByRule      = "rule"
	GroupByNamespace = "namespace"
)

// Filtered describes findings left out of a report by display filters
// (--severity, --min-severity). They still count for the exit status.
type Filtered struct {
	// Count is how many findings were left out.
	Count int
	// By names the filter, as in "--min-severity high".
	By string
}

// WriteFunc renders a scan result in one format.
type WriteFunc func(w io.Writer, res *scan.Result, opts Options) error

// Format names an output format for `-o NAME`.
type Format struct {
	// Name is what users type after -o.
	Name string
	// Description is one line for help texts.
	Description string
	Write       WriteFunc
	// Analyses is set for formats that draw from the scan's analyses
	// (Options.Analyses): commands keep them for the report only then.
	Analyses bool
}

// Partial reports whether the report is incomplete: some rule or object
// could not be evaluated, or some input was not read at all. A partial
// report must never read as a clean pass.
func Partial(res *scan.Result, opts Options) bool {
	return len(res.NotEvaluated) > 0 || len(opts.InputErrors) > 0
}

// Rules returns the rules a report describes: the rules that ran, in
// registry order, followed by any rule a finding names that is not among
// them (looked up in opts.Registry, in order of first mention). A rule
// found nowhere is left out; writers then fall back to the finding's own
// fields.
func Rules(res *scan.Result, opts Options) []*rules.Rule {
	out := make([]*rules.Rule, 0, len(res.Rules))
	seen := make(map[string]bool, len(res.Rules))
	for _, r := range res.Rules {
		if r != nil && !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	if opts.Registry == nil {
		return out
	}
	for _, list := range [][]finding.Finding{res.Findings, res.Suppressed} {
		for _, f := range list {
			if seen[f.Rule] {
				continue
			}
			seen[f.Rule] = true
			if r, ok := opts.Registry.Get(f.Rule); ok {
				out = append(out, r)
			}
		}
	}
	return out
}

// RuleIndex maps the rule IDs of Rules(res, opts) to their rules, for
// writers that need a finding's rule metadata (its remediation, say).
func RuleIndex(res *scan.Result, opts Options) map[string]*rules.Rule {
	rs := Rules(res, opts)
	m := make(map[string]*rules.Rule, len(rs))
	for _, r := range rs {
		m[r.ID] = r
	}
	return m
}

// DescribeNotEvaluated renders a not-evaluated entry as one sentence:
// subject, scope, reason and the missing permission when known.
func DescribeNotEvaluated(ne finding.NotEvaluated) string {
	var b strings.Builder
	b.WriteString(ne.Subject)
	if ne.Namespace != "" {
		fmt.Fprintf(&b, " in namespace %s", ne.Namespace)
	}
	b.WriteString(": ")
	b.WriteString(cmpOr(ne.Reason, "no reason given"))
	if ne.Permission != "" {
		fmt.Fprintf(&b, " (missing permission: %s)", ne.Permission)
	}
	return b.String()
}

// InputErrorMessage is an input error's reason without its file and line,
// for formats that carry those in fields of their own.
func InputErrorMessage(e *inventory.InputError) string {
	if e == nil || e.Err == nil {
		return "unknown error"
	}
	return e.Err.Error()
}

// Suppression describes who silenced a finding and why, in words.
func Suppression(s *finding.Suppression) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	switch s.By {
	case "annotation":
		b.WriteString("suppressed by annotation " + rules.AnnotationIgnore)
	case "config":
		b.WriteString("suppressed by a config exception")
	default:
		b.WriteString("suppressed")
		if s.By != "" {
			b.WriteString(" by " + s.By)
		}
	}
	if s.Expires != "" {
		b.WriteString(" until " + s.Expires)
	}
	b.WriteString(": ")
	b.WriteString(cmpOr(s.Reason, "no reason given"))
	return b.String()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
