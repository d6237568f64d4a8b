package table

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/scan"
)

// ANSI SGR sequences. Critical is bold so it stands out from high even for
// readers who cannot tell the reds apart.
const (
	reset   = "\x1b[0m"
	bold    = "\x1b[1m"
	magenta = "\x1b[1;35m"
)

var severityColor = map[finding.Severity]string{
	finding.SeverityCritical: "\x1b[1;31m",
	finding.SeverityHigh:     "\x1b[31m",
	finding.SeverityMedium:   "\x1b[33m",
	finding.SeverityLow:      "\x1b[36m",
	finding.SeverityInfo:     "\x1b[2m",
}

// severityWidth fits the longest severity name, "CRITICAL".
const severityWidth = len("CRITICAL")

// Write renders res as a table.
func Write(w io.Writer, res *scan.Result, opts report.Options) error {
	var b bytes.Buffer
	p := &printer{b: &b, color: opts.Color}
	p.ruleWidth = ruleWidth(res, opts)

	p.findings(res.Findings, false)
	if opts.ShowSuppressed && len(res.Suppressed) > 0 {
		p.heading(bold, fmt.Sprintf("SUPPRESSED (%d): found, but silenced by an annotation or a config exception", len(res.Suppressed)))
		p.findings(res.Suppressed, true)
	}
	if len(res.NotEvaluated) > 0 {
		p.heading(magenta, fmt.Sprintf("NOT EVALUATED (%d): kguard could not check these; no finding here does not mean they pass", len(res.NotEvaluated)))
		for _, ne := range res.NotEvaluated {
			fmt.Fprintf(&b, "  %s %s\n", p.paint(magenta, "!"), clean(report.DescribeNotEvaluated(ne)))
		}
		b.WriteString("\n")
	}
	if len(opts.InputErrors) > 0 {
		p.heading(magenta, fmt.Sprintf("INPUT ERRORS (%d): these inputs were not scanned", len(opts.InputErrors)))
		for _, e := range opts.InputErrors {
			if e == nil {
				continue
			}
			fmt.Fprintf(&b, "  %s %s\n", p.paint(magenta, "!"), clean(e.Error()))
		}
		b.WriteString("\n")
	}
	p.summary(res, opts)

	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	return nil
}

type printer struct {
	b         *bytes.Buffer
	color     bool
	ruleWidth int
}

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + reset
}

func (p *printer) heading(code, s string) {
	p.b.WriteString(p.paint(code, s))
	p.b.WriteString("\n")
}

// findings prints findings grouped by resource. Groups appear in the order
// of their first finding, and the scan sorts findings by file, line and
// resource, so a group is contiguous in practice; grouping by key keeps it
// correct even if a caller hands over unsorted findings.
func (p *printer) findings(fs []finding.Finding, suppressed bool) {
	type key struct {
		ref inventory.Ref
		src inventory.Source
	}
	var order []key
	groups := map[key][]int{}
	for i := range fs {
		k := key{fs[i].Resource, fs[i].Source}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		// Most urgent first within a resource; the stable sort keeps the
		// scan's order (rule, field) among equals.
		slices.SortStableFunc(groups[k], func(a, b int) int { return cmp.Compare(fs[b].Severity, fs[a].Severity) })
		header := p.paint(bold, clean(k.ref.String()))
		if loc := k.src.String(); loc != "-" {
			header += "  " + clean(loc)
		}
		p.b.WriteString(header + "\n")
		for _, i := range groups[k] {
			f := &fs[i]
			sev := strings.ToUpper(f.Severity.String())
			pad := strings.Repeat(" ", max(severityWidth-len(sev), 0)+2)
			rule := f.Rule + strings.Repeat(" ", max(p.ruleWidth-len(f.Rule), 0)+2)
			line := "  " + p.paint(severityColor[f.Severity], sev) + pad + clean(rule) + clean(f.Message)
			if f.Field != "" {
				line += "  (" + clean(f.Field) + ")"
			}
			p.b.WriteString(line + "\n")
			if suppressed {
				p.b.WriteString("  " + strings.Repeat(" ", severityWidth+2) + "-> " + clean(report.Suppression(f.Suppressed)) + "\n")
			}
		}
		p.b.WriteString("\n")
	}
}

func (p *printer) summary(res *scan.Result, opts report.Options) {
	s := res.Summarize()
	var counts []string
	for _, sev := range finding.AllSeverities() {
		n := strconv.Itoa(s.BySeverity[sev.String()])
		if s.BySeverity[sev.String()] > 0 {
			n = p.paint(severityColor[sev], n)
		}
		counts = append(counts, sev.String()+": "+n)
	}
	line := fmt.Sprintf("%s (%s) in %s, %d suppressed, %d not evaluated, %s",
		plural(s.Findings, "finding"), strings.Join(counts, ", "), plural(s.Objects, "object"),
		s.Suppressed, s.NotEvaluated, plural(len(opts.InputErrors), "input error"))
	if report.Partial(res, opts) {
		line += "; " + p.paint(magenta, "scan was partial")
	}
	p.b.WriteString(line + "\n")
	if s.Suppressed > 0 && !opts.ShowSuppressed {
		p.b.WriteString("(list suppressed findings with --show-suppressed)\n")
	}
}

// ruleWidth is the longest rule ID printed, so that messages line up
// across the whole report, not only within one resource.
func ruleWidth(res *scan.Result, opts report.Options) int {
	w := 0
	for _, f := range res.Findings {
		w = max(w, len(f.Rule))
	}
	if opts.ShowSuppressed {
		for _, f := range res.Suppressed {
			w = max(w, len(f.Rule))
		}
	}
	return w
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// clean replaces control characters (ESC, CR, newlines, C1 codes) and
// bytes that are not UTF-8 with Go escapes. Names, messages and reasons can
// carry text from the scanned manifests, and a terminal must not interpret
// it (a lone 0x9b byte is CSI to some terminals).
func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
