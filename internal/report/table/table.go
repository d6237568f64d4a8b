package table

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// ANSI SGR sequences. Critical is bold so it stands out from high even for
// readers who cannot tell the reds apart.
const (
	reset   = "\x1b[0m"
	bold    = "\x1b[1m"
	dim     = "\x1b[2m"
	magenta = "\x1b[1;35m"
	green   = "\x1b[32m"
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

// hang is where a finding's wrapped message starts: under the rule ID,
// after the two-space margin, the severity and two spaces.
const hang = 2 + severityWidth + 2

// topResources is how many resources --summary lists.
const topResources = 10

// Write renders res as a table.
func Write(w io.Writer, res *scan.Result, opts report.Options) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	p := &printer{w: bw, color: opts.Color, width: opts.Width, opts: opts}
	p.ruleWidth = ruleWidth(res, opts)
	if opts.Explain {
		p.rules = report.RuleIndex(res, opts)
	}

	switch {
	case opts.Summary:
		p.ruleSummary(res.Findings)
		p.topResources(res.Findings)
	case opts.GroupBy == report.GroupByRule:
		p.byRule(res.Findings, false)
	case opts.GroupBy == report.GroupByNamespace:
		p.byNamespace(res.Findings, false)
	default:
		p.byResource(res.Findings, false)
	}
	if opts.ShowSuppressed && len(res.Suppressed) > 0 && !opts.Summary {
		p.heading(bold, fmt.Sprintf("SUPPRESSED (%d): found, but silenced by an annotation or a config exception", len(res.Suppressed)))
		if opts.GroupBy == report.GroupByRule {
			p.byRule(res.Suppressed, true)
		} else {
			p.byResource(res.Suppressed, true)
		}
	}
	for _, fr := range opts.Frameworks {
		p.framework(fr)
	}
	if fixed := report.Fixed(res, opts); len(fixed) > 0 {
		p.fixed(fixed)
	}
	if len(res.NotEvaluated) > 0 {
		p.heading(magenta, fmt.Sprintf("NOT EVALUATED (%d): kguard could not check these; no finding here does not mean they pass", len(res.NotEvaluated)))
		for _, ne := range res.NotEvaluated {
			p.out("  ! ", "  "+p.paint(magenta, "!")+" ", clean(report.DescribeNotEvaluated(ne)), 4)
		}
		p.blank()
	}
	if len(opts.InputErrors) > 0 {
		p.heading(magenta, fmt.Sprintf("INPUT ERRORS (%d): these inputs were not scanned", len(opts.InputErrors)))
		for _, e := range opts.InputErrors {
			if e == nil {
				continue
			}
			p.out("  ! ", "  "+p.paint(magenta, "!")+" ", clean(e.Error()), 4)
		}
		p.blank()
	}
	p.summary(res, opts)

	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write table report: %w", err)
	}
	return nil
}

type printer struct {
	w         *bufio.Writer
	color     bool
	width     int
	ruleWidth int
	opts      report.Options
	// rules holds rule metadata for --explain.
	rules map[string]*rules.Rule
}

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + reset
}

func (p *printer) blank() { p.w.WriteString("\n") }

func (p *printer) heading(code, s string) {
	p.out("", "", s, 2, code)
}

// out writes prefix and body as one line, or, when a width is set and the
// line does not fit, wraps body after prefix with continuation lines
// indented by hang columns. painted is prefix as written (with colour);
// code, when given, colours the body.
func (p *printer) out(prefix, painted, body string, hang int, code ...string) {
	paintBody := func(s string) string {
		if len(code) > 0 {
			return p.paint(code[0], s)
		}
		return s
	}
	if p.width <= 0 || displayWidth(prefix)+displayWidth(body) <= p.width {
		p.w.WriteString(painted + paintBody(body) + "\n")
		return
	}
	hang = min(hang, p.width/2)
	first := p.width - displayWidth(prefix)
	lines := wrap(body, first, p.width-hang)
	for i, l := range lines {
		if i == 0 {
			p.w.WriteString(painted + paintBody(l) + "\n")
			continue
		}
		p.w.WriteString(strings.Repeat(" ", hang) + paintBody(l) + "\n")
	}
}

// severityLabel is the padded severity column, plain and painted.
func (p *printer) severityLabel(s finding.Severity) (plain, painted string) {
	name := strings.ToUpper(s.String())
	pad := strings.Repeat(" ", max(severityWidth-len(name), 0)+2)
	return name + pad, p.paint(severityColor[s], name) + pad
}

// margin is a finding line's first two columns: "+ " for findings new
// since the baseline, else blanks.
func (p *printer) margin(f *finding.Finding) string {
	if p.opts.Baseline.Status(f) == report.StatusNew {
		return "+ "
	}
	return "  "
}

// finding prints one finding under a resource: severity, rule, message
// and field on one line, or, when that is wider than the terminal, the
// rule on the first line and the message wrapped under it.
func (p *printer) finding(f *finding.Finding, suppressed bool) {
	sevPlain, sevPainted := p.severityLabel(f.Severity)
	margin := p.margin(f)
	msg := clean(f.Message)
	if f.Field != "" {
		msg += "  (" + clean(f.Field) + ")"
	}
	rule := clean(f.Rule)
	padded := rule + strings.Repeat(" ", max(p.ruleWidth-len(f.Rule), 0)+2)
	whole := margin + sevPlain + padded + msg
	if p.width <= 0 || displayWidth(whole) <= p.width {
		p.w.WriteString(margin + sevPainted + padded + msg + "\n")
	} else {
		p.out(margin+sevPlain, margin+sevPainted, rule, hang)
		p.out(strings.Repeat(" ", hang), strings.Repeat(" ", hang), msg, hang)
	}
	if suppressed {
		p.out(strings.Repeat(" ", hang), strings.Repeat(" ", hang), "-> "+clean(report.Suppression(f.Suppressed)), hang+3)
	}
}

// explain prints the remediation of rule id under its findings.
func (p *printer) explain(id string) {
	r := p.rules[id]
	if r == nil || r.Remediation == "" {
		return
	}
	pre := strings.Repeat(" ", hang)
	p.out(pre+"fix: ", pre+p.paint(green, "fix:")+" ", clean(r.Remediation), hang+5)
}

// byResource prints findings grouped by resource. Groups appear in the
// order of their first finding, and the scan sorts findings by file, line
// and resource, so a group is contiguous in practice; grouping by key keeps
// it correct even if a caller hands over unsorted findings.
func (p *printer) byResource(fs []finding.Finding, suppressed bool) {
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
		idx := groups[k]
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(fs[b].Severity, fs[a].Severity) })
		ref, loc := clean(k.ref.String()), ""
		if l := k.src.String(); l != "-" {
			loc = "  " + clean(l)
		}
		if p.width <= 0 || displayWidth(ref+loc) <= p.width {
			p.w.WriteString(p.paint(bold, ref) + loc + "\n")
		} else {
			p.heading(bold, ref+loc)
		}
		for n, i := range idx {
			p.finding(&fs[i], suppressed)
			if p.opts.Explain && (n == len(idx)-1 || fs[idx[n+1]].Rule != fs[i].Rule) {
				p.explain(fs[i].Rule)
			}
		}
		p.blank()
	}
}

// byNamespace prints a heading per namespace, most findings first, with the
// namespace's findings grouped by resource under it. Cluster-scoped objects
// (and objects that name no namespace) come last.
func (p *printer) byNamespace(fs []finding.Finding, suppressed bool) {
	groups := map[string][]finding.Finding{}
	for _, f := range fs {
		groups[f.Resource.Namespace] = append(groups[f.Resource.Namespace], f)
	}
	names := make([]string, 0, len(groups))
	for ns := range groups {
		names = append(names, ns)
	}
	slices.SortFunc(names, func(a, b string) int {
		if (a == "") != (b == "") {
			return cmp.Compare(b, a) // "" last
		}
		return cmp.Or(cmp.Compare(len(groups[b]), len(groups[a])), cmp.Compare(a, b))
	})
	for _, ns := range names {
		title := "NAMESPACE " + clean(ns)
		if ns == "" {
			title = "NO NAMESPACE (cluster-scoped, or none given)"
		}
		p.heading(bold, fmt.Sprintf("%s: %s", title, countText(groups[ns])))
		p.blank()
		p.byResource(groups[ns], suppressed)
	}
}

// byRule prints a heading per rule, most severe first, with every
// resource the rule found something on under it.
func (p *printer) byRule(fs []finding.Finding, suppressed bool) {
	groups := map[string][]int{}
	worst := map[string]finding.Severity{}
	for i := range fs {
		id := fs[i].Rule
		if _, ok := groups[id]; !ok || fs[i].Severity > worst[id] {
			worst[id] = fs[i].Severity
		}
		groups[id] = append(groups[id], i)
	}
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		return cmp.Or(cmp.Compare(worst[b], worst[a]), cmp.Compare(len(groups[b]), len(groups[a])), cmp.Compare(a, b))
	})
	for _, id := range ids {
		idx := groups[id]
		first := &fs[idx[0]]
		sevPlain, sevPainted := p.severityLabel(worst[id])
		head := clean(id) + "  " + clean(first.Title) + " (" + plural(len(idx), "finding") + ")"
		p.out(sevPlain, sevPainted, head, hang)
		if p.opts.Explain {
			p.explain(id)
		}
		for _, i := range idx {
			f := &fs[i]
			sp, spp := p.severityLabel(f.Severity)
			where := clean(f.Resource.String())
			if loc := f.Source.String(); loc != "-" {
				where += "  " + clean(loc)
			}
			text := where + ": " + clean(f.Message)
			if f.Field != "" {
				text += "  (" + clean(f.Field) + ")"
			}
			m := p.margin(f)
			p.out(m+sp, m+spp, text, hang)
			if suppressed {
				p.out(strings.Repeat(" ", hang), strings.Repeat(" ", hang), "-> "+clean(report.Suppression(f.Suppressed)), hang+3)
			}
		}
		p.blank()
	}
}

// ruleSummary prints, per rule, the findings of each severity (--summary).
// Rules appear most severe first, then by number of findings.
func (p *printer) ruleSummary(fs []finding.Finding) {
	type row struct {
		id     string
		counts [5]int // indexed by severity
		total  int
	}
	rows := map[string]*row{}
	for i := range fs {
		r := rows[fs[i].Rule]
		if r == nil {
			r = &row{id: fs[i].Rule}
			rows[fs[i].Rule] = r
		}
		if s := fs[i].Severity; s >= finding.SeverityInfo && s <= finding.SeverityCritical {
			r.counts[s]++
		}
		r.total++
	}
	list := make([]*row, 0, len(rows))
	for _, r := range rows {
		list = append(list, r)
	}
	slices.SortFunc(list, func(a, b *row) int {
		for _, s := range finding.AllSeverities() {
			if c := cmp.Compare(b.counts[s], a.counts[s]); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.id, b.id)
	})
	p.heading(bold, "FINDINGS BY RULE")
	if len(list) == 0 {
		p.out("  ", "  ", "none", 2)
		p.blank()
		return
	}
	idWidth := len("RULE")
	for _, r := range list {
		idWidth = max(idWidth, len(r.id))
	}
	cols := func(cells [6]string, paint bool) (plain, painted string) {
		var a, b strings.Builder
		for i, c := range cells {
			cell := strings.Repeat(" ", max(8-len(c), 0)) + c
			a.WriteString(cell)
			if paint && i < 5 && c != "0" {
				sev := finding.AllSeverities()[i]
				b.WriteString(strings.Repeat(" ", max(8-len(c), 0)) + p.paint(severityColor[sev], c))
			} else {
				b.WriteString(cell)
			}
		}
		return a.String(), b.String()
	}
	header, _ := cols([6]string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO", "TOTAL"}, false)
	p.tableRow("RULE", idWidth, header, header)
	for _, r := range list {
		var cells [6]string
		for i, s := range finding.AllSeverities() {
			cells[i] = strconv.Itoa(r.counts[s])
		}
		cells[5] = strconv.Itoa(r.total)
		plain, painted := cols(cells, true)
		p.tableRow(clean(r.id), idWidth, plain, painted)
	}
	p.blank()
}

// tableRow prints a name padded to nameWidth and then the counts, or, when
// that does not fit the terminal, the name on its own line and the counts
// on the next.
func (p *printer) tableRow(name string, nameWidth int, plain, painted string) {
	line := "  " + name + strings.Repeat(" ", max(nameWidth-len(name), 0))
	if p.width <= 0 || displayWidth(line)+displayWidth(plain) <= p.width {
		p.w.WriteString(line + painted + "\n")
		return
	}
	p.out("  ", "  ", name, 4)
	p.out("", "", strings.TrimLeft(plain, " "), 4)
}

// topResources lists the resources with the most severe findings
// (--summary): most critical findings first, then high, and so on.
func (p *printer) topResources(fs []finding.Finding) {
	type key struct {
		ref inventory.Ref
		src inventory.Source
	}
	type row struct {
		key
		counts [5]int
	}
	var order []*row
	rows := map[key]*row{}
	for i := range fs {
		k := key{fs[i].Resource, fs[i].Source}
		r := rows[k]
		if r == nil {
			r = &row{key: k}
			rows[k] = r
			order = append(order, r)
		}
		if s := fs[i].Severity; s >= finding.SeverityInfo && s <= finding.SeverityCritical {
			r.counts[s]++
		}
	}
	slices.SortStableFunc(order, func(a, b *row) int {
		for _, s := range finding.AllSeverities() {
			if c := cmp.Compare(b.counts[s], a.counts[s]); c != 0 {
				return c
			}
		}
		return 0
	})
	if len(order) == 0 {
		return
	}
	p.heading(bold, fmt.Sprintf("TOP RESOURCES (%d of %d, most severe first)", min(topResources, len(order)), len(order)))
	for _, r := range order[:min(topResources, len(order))] {
		name := clean(r.ref.String())
		if loc := r.src.String(); loc != "-" {
			name += "  " + clean(loc)
		}
		var parts []string
		total := 0
		for _, s := range finding.AllSeverities() {
			total += r.counts[s]
			if r.counts[s] > 0 {
				parts = append(parts, strconv.Itoa(r.counts[s])+" "+s.String())
			}
		}
		p.out("  ", "  ", fmt.Sprintf("%s: %s (%s)", name, plural(total, "finding"), strings.Join(parts, ", ")), 4)
	}
	p.blank()
}

var statusLabel = map[framework.Status]string{
	framework.Pass: "PASS", framework.Fail: "FAIL", framework.NotEvaluated: "NOT EVAL", framework.Manual: "MANUAL",
}

var statusColor = map[framework.Status]string{
	framework.Pass: green, framework.Fail: "\x1b[31m", framework.NotEvaluated: magenta, framework.Manual: dim,
}

// framework prints a framework's verdict: a header with the score and the
// counts, then every control with its status, its rules (failing ones with
// their number of findings) and why it was not evaluated. With --summary
// only the failing controls are listed.
func (p *printer) framework(fr *framework.Result) {
	f := fr.Framework
	head := fmt.Sprintf("%s %s (kguard mapping %d): score %s; %d pass, %d fail, %d not evaluated, %d manual",
		f.Title, f.Version, f.Mapping, fr.ScoreText(), fr.Pass, fr.Fail, fr.NotEvaluated, fr.Manual)
	if fr.Partial {
		head += "; the scan was partial, so a pass may be unearned"
	}
	p.heading(bold, head)
	idWidth := 0
	for _, c := range fr.Controls {
		idWidth = max(idWidth, len(c.ID))
	}
	indent := strings.Repeat(" ", hang+idWidth+2)
	for _, c := range fr.Controls {
		if p.opts.Summary && c.Status != framework.Fail {
			continue
		}
		label := statusLabel[c.Status]
		pad := strings.Repeat(" ", max(severityWidth-len(label), 0)+2)
		id := c.ID + strings.Repeat(" ", idWidth-len(c.ID)+2)
		p.out("  "+label+pad+id, "  "+p.paint(statusColor[c.Status], label)+pad+id, clean(c.Title), len(indent))
		var detail string
		switch {
		case c.Status == framework.Fail:
			parts := make([]string, 0, len(c.Failing))
			for _, rf := range c.Failing {
				parts = append(parts, fmt.Sprintf("%s (%d)", rf.Rule, rf.Findings))
			}
			detail = "findings: " + strings.Join(parts, ", ")
			if n := len(c.Rules) - len(c.Failing); n > 0 {
				detail += fmt.Sprintf("; %s found nothing", plural(n, "other rule"))
			}
		case len(c.Rules) > 0 && c.Reason == "":
			detail = "rules: " + strings.Join(c.Rules, ", ")
		default:
			detail = c.Reason
		}
		if detail != "" {
			p.out(indent, indent, clean(detail), len(indent))
		}
	}
	p.blank()
}

// fixed lists the baseline's findings that are gone.
func (p *printer) fixed(fixed []report.BaselineFinding) {
	p.heading(green, fmt.Sprintf("FIXED (%d): in the baseline %s, gone now", len(fixed), clean(p.opts.Baseline.Name)))
	for _, bf := range fixed {
		sevPlain, sevPainted := p.severityLabel(bf.Severity)
		text := clean(bf.Rule) + "  " + clean(bf.Resource.String()) + ": " + clean(bf.Message)
		if bf.Field != "" {
			text += "  (" + clean(bf.Field) + ")"
		}
		p.out("- "+sevPlain, "- "+sevPainted, text, hang)
	}
	p.blank()
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
	plain := fmt.Sprintf("%s (%s) in %s, %d suppressed, %d not evaluated, %s",
		plural(s.Findings, "finding"), strings.Join(plainCounts(s), ", "), plural(s.Objects, "object"),
		s.Suppressed, s.NotEvaluated, plural(len(opts.InputErrors), "input error"))
	line := fmt.Sprintf("%s (%s) in %s, %d suppressed, %d not evaluated, %s",
		plural(s.Findings, "finding"), strings.Join(counts, ", "), plural(s.Objects, "object"),
		s.Suppressed, s.NotEvaluated, plural(len(opts.InputErrors), "input error"))
	if report.Partial(res, opts) {
		plain += "; scan was partial"
		line += "; " + p.paint(magenta, "scan was partial")
	}
	if f := opts.Filtered; f.Count > 0 {
		extra := fmt.Sprintf("; %s hidden by %s", plural(f.Count, "finding"), f.By)
		plain, line = plain+extra, line+extra
	}
	if b := opts.Baseline; b != nil {
		c := report.Counts(res, opts)
		extra := fmt.Sprintf("; since the baseline: %d new (marked +), %d unchanged, %d fixed", c.New, c.Unchanged, c.Fixed)
		plain, line = plain+extra, line+extra
	}
	if p.width > 0 && displayWidth(plain) > p.width {
		// Colour codes would be cut by wrapping: wrap the plain text.
		p.out("", "", plain, 2)
	} else {
		p.w.WriteString(line + "\n")
	}
	if s.Suppressed > 0 && !opts.ShowSuppressed {
		p.out("", "", "(list suppressed findings with --show-suppressed)", 1)
	}
}

func plainCounts(s scan.Summary) []string {
	var out []string
	for _, sev := range finding.AllSeverities() {
		out = append(out, sev.String()+": "+strconv.Itoa(s.BySeverity[sev.String()]))
	}
	return out
}

// countText is "3 findings (1 critical, 2 low)".
func countText(fs []finding.Finding) string {
	var counts [5]int
	for _, f := range fs {
		if f.Severity >= finding.SeverityInfo && f.Severity <= finding.SeverityCritical {
			counts[f.Severity]++
		}
	}
	var parts []string
	for _, s := range finding.AllSeverities() {
		if counts[s] > 0 {
			parts = append(parts, strconv.Itoa(counts[s])+" "+s.String())
		}
	}
	return plural(len(fs), "finding") + " (" + strings.Join(parts, ", ") + ")"
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
