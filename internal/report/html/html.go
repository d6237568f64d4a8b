package html

import (
	"bufio"
	"compress/gzip"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"time"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/netpol/matrixhtml"
	"github.com/kguard/kguard/internal/rbac"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

//go:embed assets/report.css
var css string

//go:embed assets/report.js
var script string

// Limits that keep the page readable on large inputs.
const (
	heatRows    = 25 // namespaces in the heat map; the rest are summed
	topRules    = 10
	matrixLimit = 60 // workloads in one matrix
	matrixCount = 8  // namespace matrices when the whole input is too big
)

var severities = finding.AllSeverities() // most urgent first

type sevCount struct {
	Name  string
	Count int
	Style template.CSS
}

type categoryRow struct {
	Category            string
	Ran, Failing, Score int
	Counts              []sevCount
}

type heatRow struct {
	Namespace, Value string // Value "" for the summed row
	Cells            []sevCount
	Total            int
}

type ruleRow struct {
	ID, Title, Severity string
	Count, Bar          int
}

type frameworkView struct {
	*framework.Result
	Score        string
	PassPercent  int
	JudgedCount  int
	Controls     []framework.ControlResult
	FailingRules map[string]string
}

type matrixView struct {
	Title  string
	Figure template.HTML
}

type page struct {
	Title, Version, Time string
	Objects, Rules       int
	Totals               []sevCount
	Findings, Suppressed int
	Partial              bool
	NotEvaluated         []string
	InputErrors          []string
	Filtered             report.Filtered
	Baseline             *baselineView
	Categories           []categoryRow
	Heat                 []heatRow
	TopRules             []ruleRow
	Frameworks           []frameworkView
	FrameworksAsked      bool
	Paths                *escalationFigure
	PathsNote            string
	Matrices             []matrixView
	MatrixNote           string
	MatrixCSS            template.CSS
	CSS                  template.CSS
	Script               template.JS
	HasNew               bool
}

type baselineView struct {
	Name                  string
	New, Unchanged, Fixed int
	FixedList             []string
}

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"fmt": func(n int) string { return thousands(n) },
	// short abbreviates severities for narrow table headers.
	"short": func(s string) string {
		switch s {
		case "critical":
			return "crit"
		case "medium":
			return "med"
		}
		return s
	},
}).Parse(pageTemplate))

// Write renders res as the HTML report.
func Write(w io.Writer, res *scan.Result, opts report.Options) error {
	p, err := build(res, opts)
	if err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := tmpl.ExecuteTemplate(bw, "top", p); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	if err := writeData(bw, res, opts); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	if err := tmpl.ExecuteTemplate(bw, "bottom", p); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

func build(res *scan.Result, opts report.Options) (*page, error) {
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	s := res.Summarize()
	p := &page{
		Title: "kguard report", Version: opts.ToolVersion, Time: now.UTC().Format("2006-01-02 15:04 MST"),
		Objects: s.Objects, Rules: s.Rules, Findings: s.Findings, Suppressed: s.Suppressed,
		Partial: report.Partial(res, opts), Filtered: opts.Filtered,
		CSS: template.CSS(css), MatrixCSS: template.CSS(matrixhtml.CSS), Script: template.JS(script),
	}
	for _, sev := range severities {
		p.Totals = append(p.Totals, sevCount{Name: sev.String(), Count: s.BySeverity[sev.String()]})
	}
	for _, ne := range res.NotEvaluated {
		p.NotEvaluated = append(p.NotEvaluated, report.DescribeNotEvaluated(ne))
	}
	for _, e := range opts.InputErrors {
		if e != nil {
			p.InputErrors = append(p.InputErrors, e.Error())
		}
	}
	if b := opts.Baseline; b != nil {
		c := report.Counts(res, opts)
		bv := &baselineView{Name: b.Name, New: c.New, Unchanged: c.Unchanged, Fixed: c.Fixed}
		for _, f := range report.Fixed(res, opts) {
			bv.FixedList = append(bv.FixedList, fmt.Sprintf("%s on %s: %s", f.Rule, f.Resource, f.Message))
		}
		p.Baseline, p.HasNew = bv, true
	}
	p.Categories = categories(res)
	p.Heat = heatMap(res.Findings)
	p.TopRules = topRuleRows(res.Findings)

	frs := opts.Frameworks
	p.FrameworksAsked = len(frs) > 0
	if len(frs) == 0 {
		// The overview scores every framework; --framework only narrows
		// what the other formats list.
		fws, err := framework.All()
		if err != nil {
			return nil, err
		}
		var known []*rules.Rule
		if opts.Registry != nil {
			known = opts.Registry.Rules()
		}
		for _, f := range fws {
			frs = append(frs, framework.Evaluate(f, res, known))
		}
	}
	for _, fr := range frs {
		v := frameworkView{Result: fr, Score: fr.ScoreText(), JudgedCount: fr.Pass + fr.Fail, Controls: fr.Controls}
		if fr.HasScore {
			v.PassPercent = int(math.Round(fr.Score))
		}
		p.Frameworks = append(p.Frameworks, v)
	}

	if memo := opts.Analyses; memo != nil {
		paths := analysis.Get(memo, rbac.ModelAnalysis).Escalation().Paths()
		p.Paths = layoutPaths(paths)
		if p.Paths == nil {
			p.PathsNote = "No identity among the scanned objects can become cluster-admin."
		} else if p.Paths.Shown < p.Paths.Paths {
			p.PathsNote = fmt.Sprintf("The %d shortest of %d paths are drawn; kguard rbac paths lists them all.", p.Paths.Shown, p.Paths.Paths)
		}
		if err := matrices(p, analysis.Get(memo, netpol.ModelAnalysis)); err != nil {
			return nil, err
		}
	} else {
		p.PathsNote = "Not drawn: this command did not build the RBAC model (kguard scan -o html does)."
		p.MatrixNote = "Not drawn: this command did not build the network model (kguard scan -o html does)."
	}
	return p, nil
}

// matrices draws the whole input's matrix when it is small enough, else one
// per namespace for the namespaces with most workloads that fit.
func matrices(p *page, m *netpol.Model) error {
	all := m.Workloads("")
	switch {
	case len(all) == 0:
		p.MatrixNote = "No workloads among the scanned objects."
		return nil
	case len(all) <= matrixLimit:
		fig, err := matrixhtml.Figure(m.Matrix(""))
		if err != nil {
			return err
		}
		p.Matrices = append(p.Matrices, matrixView{Title: "All namespaces", Figure: fig})
		return nil
	}
	byNS := map[string]int{}
	for _, w := range all {
		byNS[w.Namespace]++
	}
	var nss []string
	for ns, n := range byNS {
		if n >= 2 && n <= matrixLimit {
			nss = append(nss, ns)
		}
	}
	sort.Slice(nss, func(i, j int) bool {
		if byNS[nss[i]] != byNS[nss[j]] {
			return byNS[nss[i]] > byNS[nss[j]]
		}
		return nss[i] < nss[j]
	})
	if len(nss) > matrixCount {
		nss = nss[:matrixCount]
	}
	for _, ns := range nss {
		fig, err := matrixhtml.Figure(m.Matrix(ns))
		if err != nil {
			return err
		}
		p.Matrices = append(p.Matrices, matrixView{Title: "Namespace " + ns, Figure: fig})
	}
	p.MatrixNote = fmt.Sprintf("%d workloads are too many for one matrix: namespaces with at most %d workloads are drawn (%d); kguard netpol matrix -n NAMESPACE draws any one.",
		len(all), matrixLimit, len(p.Matrices))
	return nil
}

// categories scores each category whose rules ran: the share of them that
// found nothing.
func categories(res *scan.Result) []categoryRow {
	failing := map[string]bool{}
	counts := map[finding.Category]map[finding.Severity]int{}
	for _, f := range res.Findings {
		failing[f.Rule] = true
		if counts[f.Category] == nil {
			counts[f.Category] = map[finding.Severity]int{}
		}
		counts[f.Category][f.Severity]++
	}
	ran := map[finding.Category][]*rules.Rule{}
	for _, r := range res.Rules {
		ran[r.Category] = append(ran[r.Category], r)
	}
	var out []categoryRow
	for _, c := range finding.AllCategories() {
		rs := ran[c]
		if len(rs) == 0 {
			continue
		}
		row := categoryRow{Category: string(c), Ran: len(rs)}
		for _, r := range rs {
			if failing[r.ID] {
				row.Failing++
			}
		}
		row.Score = int(math.Round(100 * float64(row.Ran-row.Failing) / float64(row.Ran)))
		for _, sev := range severities {
			row.Counts = append(row.Counts, sevCount{Name: sev.String(), Count: counts[c][sev]})
		}
		out = append(out, row)
	}
	return out
}

// heatMap counts findings by namespace and severity, the namespaces with
// most severe findings first; past heatRows they are summed in one row.
func heatMap(fs []finding.Finding) []heatRow {
	type acc struct{ c [5]int }
	by := map[string]*acc{}
	for _, f := range fs {
		a := by[f.Resource.Namespace]
		if a == nil {
			a = &acc{}
			by[f.Resource.Namespace] = a
		}
		if f.Severity >= finding.SeverityInfo && f.Severity <= finding.SeverityCritical {
			a.c[f.Severity]++
		}
	}
	nss := make([]string, 0, len(by))
	for ns := range by {
		nss = append(nss, ns)
	}
	sort.Slice(nss, func(i, j int) bool {
		a, b := by[nss[i]].c, by[nss[j]].c
		for _, s := range severities {
			if a[s] != b[s] {
				return a[s] > b[s]
			}
		}
		return nss[i] < nss[j]
	})
	var rest acc
	restN := 0
	if len(nss) > heatRows {
		for _, ns := range nss[heatRows:] {
			for s := range rest.c {
				rest.c[s] += by[ns].c[s]
			}
		}
		restN = len(nss) - heatRows
		nss = nss[:heatRows]
	}
	maxCell := 1
	for _, ns := range nss {
		for _, n := range by[ns].c {
			maxCell = max(maxCell, n)
		}
	}
	row := func(name, value string, a acc) heatRow {
		r := heatRow{Namespace: name, Value: value}
		for _, s := range severities {
			n := a.c[s]
			r.Total += n
			// Logarithmic: one finding shows, a thousand does not drown
			// everything else.
			alpha := 0.0
			if n > 0 {
				alpha = 0.12 + 0.88*math.Log1p(float64(n))/math.Log1p(float64(maxCell))
			}
			r.Cells = append(r.Cells, sevCount{Name: s.String(), Count: n,
				Style: template.CSS(fmt.Sprintf("background: rgba(207, 34, 46, %.2f); color: %s", min(alpha, 1), textOn(alpha)))})
		}
		return r
	}
	var out []heatRow
	for _, ns := range nss {
		name := ns
		if ns == "" {
			name = "(no namespace)"
		}
		out = append(out, row(name, ns, *by[ns]))
	}
	if restN > 0 {
		out = append(out, row(fmt.Sprintf("%d other namespaces", restN), "", rest))
	}
	return out
}

func textOn(alpha float64) string {
	if alpha > 0.55 {
		return "#fff"
	}
	return "#1f2328"
}

// topRuleRows are the rules with most severe findings.
func topRuleRows(fs []finding.Finding) []ruleRow {
	type acc struct {
		title string
		worst finding.Severity
		n     int
	}
	by := map[string]*acc{}
	for _, f := range fs {
		a := by[f.Rule]
		if a == nil {
			a = &acc{title: f.Title, worst: f.Severity}
			by[f.Rule] = a
		}
		a.worst = max(a.worst, f.Severity)
		a.n++
	}
	ids := make([]string, 0, len(by))
	for id := range by {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := by[ids[i]], by[ids[j]]
		if a.worst != b.worst {
			return a.worst > b.worst
		}
		if a.n != b.n {
			return a.n > b.n
		}
		return ids[i] < ids[j]
	})
	if len(ids) > topRules {
		ids = ids[:topRules]
	}
	most := 1
	for _, id := range ids {
		most = max(most, by[id].n)
	}
	var out []ruleRow
	for _, id := range ids {
		a := by[id]
		out = append(out, ruleRow{ID: id, Title: a.title, Severity: a.worst.String(), Count: a.n, Bar: int(math.Round(100 * float64(a.n) / float64(most)))})
	}
	return out
}

// writeData writes the findings explorer's data block. Rules, objects,
// field paths and suppression texts are interned in tables; each finding
// is [rule, object, field, severity, message, flags, suppression]. The
// block is streamed, one finding at a time.
func writeData(w *bufio.Writer, res *scan.Result, opts report.Options) error {
	byID := report.RuleIndex(res, opts)
	type objKey struct {
		ref inventory.Ref
		src inventory.Source
	}
	ruleIdx, objIdx, fieldIdx, supIdx := map[string]int{}, map[objKey]int{}, map[string]int{"": 0}, map[string]int{}
	ruleTab, objTab := [][]any{}, [][]any{}
	fieldTab, supTab := []string{""}, []string{}
	intern := func(f *finding.Finding) (int, int, int, int) {
		ri, ok := ruleIdx[f.Rule]
		if !ok {
			ri = len(ruleTab)
			ruleIdx[f.Rule] = ri
			title, remediation := f.Title, ""
			if r := byID[f.Rule]; r != nil {
				remediation = r.Remediation
				if title == "" {
					title = r.Title
				}
			}
			ruleTab = append(ruleTab, []any{f.Rule, title, int(f.Severity), string(f.Category), remediation})
		}
		k := objKey{f.Resource, f.Source}
		oi, ok := objIdx[k]
		if !ok {
			oi = len(objTab)
			objIdx[k] = oi
			loc := f.Source.String()
			if loc == "-" {
				loc = ""
			}
			objTab = append(objTab, []any{f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, loc})
		}
		fi, ok := fieldIdx[f.Field]
		if !ok {
			fi = len(fieldTab)
			fieldIdx[f.Field] = fi
			fieldTab = append(fieldTab, f.Field)
		}
		si := 0
		if f.Suppressed != nil {
			text := report.Suppression(f.Suppressed)
			if si, ok = supIdx[text]; !ok {
				si = len(supTab)
				supIdx[text] = si
				supTab = append(supTab, text)
			}
		}
		return ri, oi, fi, si
	}
	type row struct {
		r, o, f, s int
	}
	lists := [][]finding.Finding{res.Findings, res.Suppressed}
	rows := make([][]row, len(lists))
	for li, list := range lists {
		rows[li] = make([]row, len(list))
		for i := range list {
			r, o, f, s := intern(&list[i])
			rows[li][i] = row{r, o, f, s}
		}
	}
	// The block is gzip-compressed and base64-encoded: 100,000 findings
	// are about 16 MB of JSON but under 3 MB this way, and base64 cannot
	// contain markup. The page inflates it with DecompressionStream.
	w.WriteString(`<script id="kg-data" type="application/x-kguard-findings" data-encoding="gzip+base64">`)
	b64 := base64.NewEncoder(base64.StdEncoding, w)
	zw, err := gzip.NewWriterLevel(b64, gzip.BestSpeed)
	if err != nil {
		return err
	}
	zb := bufio.NewWriterSize(zw, 64<<10)
	zb.WriteString(`{"rules":`)
	enc := json.NewEncoder(zb)
	for _, part := range []struct {
		name string
		v    any
	}{{"", ruleTab}, {"objects", objTab}, {"fields", fieldTab}, {"suppressions", supTab}} {
		if part.name != "" {
			zb.WriteString(`,"` + part.name + `":`)
		}
		if err := enc.Encode(part.v); err != nil {
			return err
		}
	}
	zb.WriteString(`,"findings":[`)
	first := true
	for li, list := range lists {
		for i := range list {
			f := &list[i]
			flags := 0
			if f.Suppressed != nil {
				flags |= 1
			} else if opts.Baseline.Status(f) == report.StatusNew {
				flags |= 2
			}
			if !first {
				zb.WriteByte(',')
			}
			first = false
			x := rows[li][i]
			if err := enc.Encode([]any{x.r, x.o, x.f, int(f.Severity), f.Message, flags, x.s}); err != nil {
				return err
			}
		}
	}
	zb.WriteString("]}")
	if err := zb.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := b64.Close(); err != nil {
		return err
	}
	_, err = w.WriteString("</script>\n")
	return err
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
