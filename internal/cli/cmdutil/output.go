package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/formats"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
	"github.com/kguard/kguard/internal/version"
)

// Report is the one way every command that produces findings writes them:
// -o over the report registry (internal/report/formats), --output-file,
// --fail-on and --show-suppressed, the display flags (--severity,
// --min-severity, --summary, --group-by, --explain, --color), the baseline
// (--baseline, --fail-on-new), with the same meaning and the same exit
// statuses everywhere.
type Report struct {
	Output         string
	OutputFile     string
	FailOn         string
	ShowSuppressed bool

	// Display: what the report shows, never what fails the run.
	Severities  []string
	MinSeverity string
	Summary     bool
	GroupBy     string
	Explain     bool
	Color       string

	// Baseline is a previous JSON report to compare with; FailOnNew limits
	// --fail-on to findings it does not have.
	Baseline  string
	FailOnNew bool

	// Frameworks evaluates these compliance frameworks; only their rules'
	// findings are shown and fail the run.
	Frameworks []string

	// DefaultFailOn is used when --fail-on is not given ("high" if empty).
	DefaultFailOn string

	// Set by Validate.
	gate       report.Gate
	show       func(finding.Severity) bool
	filterBy   string
	baseline   *report.Baseline
	frameworks []*framework.Framework
}

// AddFlags registers the report flags.
func (r *Report) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&r.Output, "output", "o", "table", "output format: "+strings.Join(formats.Names(), ", "))
	f.StringVar(&r.OutputFile, "output-file", "", "write the report to this file instead of standard output")
	f.StringVar(&r.FailOn, "fail-on", "", "exit 1 when a finding is at or above this severity: critical, high, medium, low, info or none (default high)")
	f.BoolVar(&r.ShowSuppressed, "show-suppressed", false, "also list findings silenced by annotations or config exceptions")
	f.StringSliceVar(&r.Severities, "severity", nil, "show only findings of these severities (comma-separated); the exit status still follows --fail-on")
	f.StringVar(&r.MinSeverity, "min-severity", "", "show only findings at or above this severity; the exit status still follows --fail-on")
	f.BoolVar(&r.Summary, "summary", false, "table: print counts per rule and severity and the resources with the most severe findings instead of every finding")
	f.StringVar(&r.GroupBy, "group-by", report.GroupByResource, "table: group findings by resource, rule or namespace")
	f.BoolVar(&r.Explain, "explain", false, "table: print each rule's remediation under its findings")
	f.StringVar(&r.Color, "color", "auto", "colour the table: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always or never")
	f.StringVar(&r.Baseline, "baseline", "", "a previous JSON report (-o json): mark findings new or unchanged and list the fixed ones")
	f.BoolVar(&r.FailOnNew, "fail-on-new", false, "with --baseline: exit 1 only for findings at or above --fail-on that the baseline does not have")
	f.StringSliceVar(&r.Frameworks, "framework", nil, "report every control of these compliance frameworks ("+strings.Join(framework.Names(), ", ")+"); only their rules' findings are listed and fail the run")
}

// Validate checks the flags and reads the baseline before any work is
// done, so that a typo fails at once rather than after a long scan.
func (r *Report) Validate() error {
	if _, ok := formats.Get(r.Output); !ok {
		return UsageErrorf("unknown output format %q (want one of %s)", r.Output, strings.Join(formats.Names(), ", "))
	}
	failOn := r.FailOn
	if failOn == "" {
		failOn = r.DefaultFailOn
	}
	if failOn == "" {
		failOn = "high"
	}
	sev, err := ParseFailOn(failOn)
	if err != nil {
		return UsageErrorf("--fail-on: %v", err)
	}
	r.gate = report.Gate{None: sev == nil, NewOnly: r.FailOnNew}
	if sev != nil {
		r.gate.Min = *sev
	}

	var only []finding.Severity
	for _, s := range r.Severities {
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			v, err := finding.ParseSeverity(part)
			if err != nil {
				return UsageErrorf("--severity: %v", err)
			}
			only = append(only, v)
		}
	}
	minSev := finding.SeverityInfo
	if r.MinSeverity != "" {
		if minSev, err = finding.ParseSeverity(r.MinSeverity); err != nil {
			return UsageErrorf("--min-severity: %v", err)
		}
	}
	var by []string
	if len(only) > 0 {
		by = append(by, "--severity "+strings.Join(r.Severities, ","))
	}
	if r.MinSeverity != "" {
		by = append(by, "--min-severity "+r.MinSeverity)
	}
	r.filterBy = strings.Join(by, " ")
	r.show = func(s finding.Severity) bool {
		return s >= minSev && (len(only) == 0 || slices.Contains(only, s))
	}

	switch r.GroupBy {
	case "", report.GroupByResource, report.GroupByRule, report.GroupByNamespace:
	default:
		return UsageErrorf("--group-by: unknown grouping %q (want resource, rule or namespace)", r.GroupBy)
	}
	switch r.Color {
	case "", "auto", "always", "never":
	default:
		return UsageErrorf("--color: unknown value %q (want auto, always or never)", r.Color)
	}
	if r.FailOnNew && r.Baseline == "" {
		return UsageErrorf("--fail-on-new needs --baseline (a previous JSON report)")
	}
	r.frameworks = nil
	for _, name := range r.Frameworks {
		for _, part := range strings.Split(name, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			fw, err := framework.Get(part)
			if err != nil {
				return UsageErrorf("--framework: %v", err)
			}
			if !slices.Contains(r.frameworks, fw) {
				r.frameworks = append(r.frameworks, fw)
			}
		}
	}
	if r.Baseline != "" {
		f, err := os.Open(r.Baseline)
		if err != nil {
			return UsageErrorf("--baseline: %v", err)
		}
		b, err := report.ReadBaseline(f, r.Baseline)
		f.Close()
		if err != nil {
			return UsageErrorf("--baseline: %v", err)
		}
		r.baseline = b
	}
	return nil
}

// ParseFailOn reads a --fail-on value; nil means "none".
func ParseFailOn(s string) (*finding.Severity, error) {
	if strings.EqualFold(s, "none") {
		return nil, nil
	}
	sev, err := finding.ParseSeverity(s)
	if err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "want one of", "want none or one of", 1))
	}
	return &sev, nil
}

// scope narrows res to the findings of the frameworks' rules
// (--framework): what the run is judged on. Without frameworks it is res.
func (r *Report) scope(res *scan.Result) *scan.Result {
	in := r.scopeRules(res)
	if in == nil {
		return res
	}
	return narrow(res, func(f *finding.Finding) bool { return in[f.Rule] })
}

// scopeRules is the set of rules of the frameworks asked for, nil without
// --framework.
func (r *Report) scopeRules(res *scan.Result) map[string]bool {
	if len(r.frameworks) == 0 {
		return nil
	}
	in := map[string]bool{}
	for _, fw := range r.frameworks {
		for id := range fw.RuleIDs(res.Rules) {
			in[id] = true
		}
	}
	return in
}

// narrow is res with only the findings (counted and suppressed) keep keeps.
func narrow(res *scan.Result, keep func(*finding.Finding) bool) *scan.Result {
	pick := func(fs []finding.Finding) []finding.Finding {
		out := make([]finding.Finding, 0, len(fs))
		for i := range fs {
			if keep(&fs[i]) {
				out = append(out, fs[i])
			}
		}
		return out
	}
	v := *res
	v.Findings, v.Suppressed = pick(res.Findings), pick(res.Suppressed)
	return &v
}

// view is what the report shows of res: the findings in scope that the
// display filters keep (suppressed ones too), how many counted findings
// were left out and by what.
func (r *Report) view(res *scan.Result) (*scan.Result, report.Filtered) {
	v := r.scope(res)
	var by []string
	if v != res {
		names := make([]string, len(r.frameworks))
		for i, fw := range r.frameworks {
			names[i] = fw.Name
		}
		by = append(by, "--framework "+strings.Join(names, ","))
	}
	if r.show != nil && r.filterBy != "" {
		v = narrow(v, func(f *finding.Finding) bool { return r.show(f.Severity) })
		by = append(by, r.filterBy)
	}
	hidden := len(res.Findings) - len(v.Findings)
	if hidden == 0 {
		return v, report.Filtered{}
	}
	return v, report.Filtered{Count: hidden, By: strings.Join(by, " ")}
}

// Colour reports whether the report is coloured: --color always or never,
// or, for auto, when it goes to a terminal, NO_COLOR is unset or empty and
// TERM is not "dumb".
func (r *Report) colour(s *Streams) bool {
	switch r.Color {
	case "always":
		return true
	case "never":
		return false
	}
	return s.OutIsTerminal && r.OutputFile == "" && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
}

// Write renders res in the chosen format to standard output or
// --output-file. opts may leave the fields the flags decide unset: Write
// fills them from the flags and the streams.
func (r *Report) Write(s *Streams, res *scan.Result, reg *rules.Registry, opts report.Options) error {
	format, ok := formats.Get(r.Output)
	if !ok {
		return UsageErrorf("unknown output format %q (want one of %s)", r.Output, strings.Join(formats.Names(), ", "))
	}
	if r.show == nil { // callers that skipped Validate
		if err := r.Validate(); err != nil {
			return err
		}
	}
	opts.ShowSuppressed = r.ShowSuppressed
	opts.ToolVersion = version.String()
	if opts.Registry == nil {
		opts.Registry = reg
	}
	opts.Gate, opts.Baseline = r.gate, r.baseline
	opts.Summary, opts.GroupBy, opts.Explain = r.Summary, r.GroupBy, r.Explain
	opts.Color = r.colour(s)
	view, filtered := r.view(res)
	opts.Filtered = filtered
	if r.baseline != nil {
		// Fixed means gone from the whole run, not hidden by a filter;
		// the list is then narrowed like the findings.
		inScope := r.scopeRules(res)
		var fixed []report.BaselineFinding
		for _, bf := range r.baseline.Fixed(res) {
			if (inScope == nil || inScope[bf.Rule]) && (r.show == nil || r.filterBy == "" || r.show(bf.Severity)) {
				fixed = append(fixed, bf)
			}
		}
		opts.Fixed = &fixed
	}
	var known []*rules.Rule
	if reg != nil {
		known = reg.Rules()
	}
	for _, fw := range r.frameworks {
		// Controls are judged on the whole result: display filters
		// change what is listed, never a verdict.
		opts.Frameworks = append(opts.Frameworks, framework.Evaluate(fw, res, known))
	}

	var out io.Writer = s.Out
	var file *os.File
	if r.OutputFile != "" {
		f, err := os.Create(r.OutputFile)
		if err != nil {
			return UsageErrorf("output file: %v", err)
		}
		file, out = f, f
	} else if s.OutIsTerminal {
		opts.Width = s.Width()
	}
	err := format.Write(out, view, opts)
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// NeedsAnalyses reports whether the chosen format draws from the scan's
// analyses (Options.Analyses), which the command then keeps for it.
func (r *Report) NeedsAnalyses() bool {
	f, ok := formats.Get(r.Output)
	return ok && f.Analyses
}

// Fails reports whether a finding of res fails the run (--fail-on, and
// --fail-on-new with a baseline), among the frameworks' rules when
// --framework is given. Display filters do not change it.
func (r *Report) Fails(res *scan.Result) bool {
	return r.gate.AnyFails(r.scope(res), r.baseline)
}

// ExitStatus is the status every findings command ends with: 2 when inputs
// failed or something was not evaluated (unless allowPartial), 1 when a
// finding fails the run (Fails), else 0. It prints why on standard error
// for the partial case.
func (r *Report) ExitStatus(s *Streams, res *scan.Result, inputErrors int, allowPartial bool) error {
	switch {
	case inputErrors > 0 && !allowPartial:
		return Exit(ExitUsage)
	case len(res.NotEvaluated) > 0 && !allowPartial:
		fmt.Fprintf(s.ErrOut, "error: the scan was partial: %d item(s) could not be evaluated (use --allow-partial to accept)\n", len(res.NotEvaluated))
		return Exit(ExitUsage)
	}
	if r.Fails(res) {
		return Exit(ExitFindings)
	}
	return nil
}
