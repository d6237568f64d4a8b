package junit

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// rulesDocURI is where every rule is documented, one anchor per ID.
const rulesDocURI = "https://github.com/kguard/kguard/blob/main/docs/rules.md"

type testSuites struct {
	XMLName  xml.Name    `xml:"testsuites"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Suites   []testSuite `xml:"testsuite"`
}

type testSuite struct {
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Skipped  int        `xml:"skipped,attr"`
	Cases    []testCase `xml:"testcase"`
}

type testCase struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	File      string   `xml:"file,attr,omitempty"`
	Failure   *problem `xml:"failure"`
	Error     *problem `xml:"error"`
	Skipped   *skipped `xml:"skipped"`
	// SystemOut carries the findings of a case that passes because they
	// are below --fail-on (or not new, with --fail-on-new): CI systems show
	// it, so nothing is hidden, but the case does not fail.
	SystemOut string `xml:"system-out,omitempty"`
}

type problem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type skipped struct {
	Message string `xml:"message,attr"`
}

// add appends a case and keeps the suite's counters right.
func (s *testSuite) add(c testCase) {
	s.Tests++
	switch {
	case c.Failure != nil:
		s.Failures++
	case c.Error != nil:
		s.Errors++
	case c.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, c)
}

// Write renders res as JUnit XML.
func Write(w io.Writer, res *scan.Result, opts report.Options) error {
	ruleList := report.Rules(res, opts)
	known := map[string]*rules.Rule{}
	for _, r := range ruleList {
		known[r.ID] = r
	}
	// A finding whose rule is nowhere to be found still gets a test case,
	// under a stand-in rule built from the finding itself.
	for _, list := range [][]finding.Finding{res.Findings, res.Suppressed} {
		for _, f := range list {
			if known[f.Rule] == nil {
				r := &rules.Rule{ID: f.Rule, Category: f.Category, Severity: f.Severity, Title: f.Title}
				known[f.Rule] = r
				ruleList = append(ruleList, r)
			}
		}
	}
	failing := groupByResource(res.Findings)
	silenced := groupByResource(res.Suppressed)

	catOrder := map[finding.Category]int{}
	for i, c := range finding.AllCategories() {
		catOrder[c] = i
	}
	// Stable by category; within a category the registry's order is kept.
	slices.SortStableFunc(ruleList, func(a, b *rules.Rule) int {
		return cmp.Compare(rank(catOrder, a.Category), rank(catOrder, b.Category))
	})

	doc := testSuites{Name: "kguard"}
	for _, r := range ruleList {
		name := "kguard." + string(r.Category)
		if len(doc.Suites) == 0 || doc.Suites[len(doc.Suites)-1].Name != name {
			doc.Suites = append(doc.Suites, testSuite{Name: name})
		}
		suite := &doc.Suites[len(doc.Suites)-1]
		class := name + "." + r.ID
		for _, g := range failing[r.ID] {
			suite.add(findingCase(r, class, g, opts))
		}
		if len(failing[r.ID]) == 0 {
			suite.add(testCase{Name: r.ID + ": no findings", Classname: class})
		}
		for _, g := range silenced[r.ID] {
			suite.add(testCase{
				Name:      r.ID + " on " + g.ref.String() + " (suppressed)",
				Classname: class,
				File:      g.file(),
				Skipped:   &skipped{Message: clean(suppressionText(g.findings))},
			})
		}
	}
	if len(opts.Frameworks) > 0 {
		gateFails := map[string]bool{} // rules with a finding that fails the run
		for i := range res.Findings {
			if opts.Gate.Fails(&res.Findings[i], opts.Baseline) {
				gateFails[res.Findings[i].Rule] = true
			}
		}
		for _, fr := range opts.Frameworks {
			doc.Suites = append(doc.Suites, frameworkSuite(fr, gateFails))
		}
	}
	if len(res.NotEvaluated) > 0 {
		suite := testSuite{Name: "kguard.not-evaluated"}
		for _, ne := range res.NotEvaluated {
			name := ne.Subject
			if ne.Namespace != "" {
				name += " in namespace " + ne.Namespace
			}
			suite.add(testCase{
				Name:      clean(name),
				Classname: "kguard.not-evaluated",
				Error: &problem{
					Message: clean(ne.Reason),
					Type:    "not-evaluated",
					Body:    clean("kguard could not evaluate this, so it is neither a pass nor a failure:\n" + report.DescribeNotEvaluated(ne) + "\n"),
				},
			})
		}
		doc.Suites = append(doc.Suites, suite)
	}
	if len(opts.InputErrors) > 0 {
		suite := testSuite{Name: "kguard.inputs"}
		for _, e := range opts.InputErrors {
			if e == nil {
				continue
			}
			name := e.File
			if e.Line > 0 {
				name = fmt.Sprintf("%s:%d", e.File, e.Line)
			}
			suite.add(testCase{
				Name:      clean(name),
				Classname: "kguard.inputs",
				File:      clean(e.File),
				Error: &problem{
					Message: clean(report.InputErrorMessage(e)),
					Type:    "input-error",
					Body:    clean("this input was not scanned:\n" + e.Error() + "\n"),
				},
			})
		}
		doc.Suites = append(doc.Suites, suite)
	}
	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}

	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encode JUnit report: %w", err)
	}
	b.WriteString("\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write JUnit report: %w", err)
	}
	return nil
}

// frameworkSuite is one suite per framework, one case per control: a
// failing control is a failure when one of its findings fails the run
// (the gate), else a passing case that says so; not evaluated and manual
// controls are skipped with the reason.
func frameworkSuite(fr *framework.Result, gateFails map[string]bool) testSuite {
	f := fr.Framework
	name := "kguard.framework." + f.Name
	suite := testSuite{Name: name}
	for _, c := range fr.Controls {
		tc := testCase{Name: clean(c.ID + " " + c.Title), Classname: clean(name + "." + c.SectionID)}
		switch c.Status {
		case framework.Fail:
			var parts []string
			fails := false
			for _, rf := range c.Failing {
				parts = append(parts, fmt.Sprintf("%s (%d)", rf.Rule, rf.Findings))
				fails = fails || gateFails[rf.Rule]
			}
			text := fmt.Sprintf("%s %s %s fails: findings of %s", f.Title, f.Version, c.ID, strings.Join(parts, ", "))
			if fails {
				tc.Failure = &problem{Message: clean(text), Type: "control-failed", Body: clean(text + "\n" + "Section: " + c.Section + "\n")}
			} else {
				tc.SystemOut = clean(text + "; every finding is below the failure threshold (--fail-on)\n")
			}
		case framework.NotEvaluated:
			tc.Skipped = &skipped{Message: clean("not evaluated: " + c.Reason)}
		case framework.Manual:
			tc.Skipped = &skipped{Message: clean("manual: " + c.Reason)}
		default:
			if c.Reason != "" {
				tc.SystemOut = clean(c.Reason + "\n")
			}
		}
		suite.add(tc)
	}
	return suite
}

// rank orders unknown categories after the known ones.
func rank(order map[finding.Category]int, c finding.Category) int {
	if i, ok := order[c]; ok {
		return i
	}
	return len(order)
}

// group is the findings of one rule on one object.
type group struct {
	ref      inventory.Ref
	src      inventory.Source
	findings []*finding.Finding
}

func (g *group) file() string {
	if g.src.File == "-" {
		return ""
	}
	return clean(g.src.File)
}

// groupByResource groups findings by rule, then by object and source, in
// the order they come (the scan's stable order).
func groupByResource(fs []finding.Finding) map[string][]*group {
	type key struct {
		rule string
		ref  inventory.Ref
		src  inventory.Source
	}
	out := map[string][]*group{}
	index := map[key]*group{}
	for i := range fs {
		f := &fs[i]
		k := key{f.Rule, f.Resource, f.Source}
		g := index[k]
		if g == nil {
			g = &group{ref: f.Resource, src: f.Source}
			index[k] = g
			out[f.Rule] = append(out[f.Rule], g)
		}
		g.findings = append(g.findings, f)
	}
	return out
}

// findingCase is the case of one rule on one object: a failure when one of
// its findings fails the gate, else a passing case whose output lists them.
func findingCase(r *rules.Rule, class string, g *group, opts report.Options) testCase {
	worst := g.findings[0].Severity
	msgs := make([]string, 0, len(g.findings))
	fails := false
	for _, f := range g.findings {
		worst = max(worst, f.Severity)
		msgs = append(msgs, f.Message)
		fails = fails || opts.Gate.Fails(f, opts.Baseline)
	}
	message := msgs[0]
	if len(msgs) > 1 {
		message = fmt.Sprintf("%d findings: %s", len(msgs), strings.Join(msgs, "; "))
	}

	var body strings.Builder
	fmt.Fprintf(&body, "%s (%s)", g.ref.String(), g.ref.APIVersion)
	if loc := g.src.String(); loc != "-" {
		fmt.Fprintf(&body, " at %s", loc)
	}
	body.WriteString("\n")
	for _, f := range g.findings {
		fmt.Fprintf(&body, "- %s: %s", f.Severity, f.Message)
		if f.Field != "" {
			fmt.Fprintf(&body, " (field: %s)", f.Field)
		}
		if st := opts.Baseline.Status(f); st != "" {
			fmt.Fprintf(&body, " [%s]", st)
		}
		body.WriteString("\n")
	}
	if r.Title != "" {
		fmt.Fprintf(&body, "Rule: %s\n", r.Title)
	}
	if r.Remediation != "" {
		fmt.Fprintf(&body, "Fix: %s\n", r.Remediation)
	}
	fmt.Fprintf(&body, "Docs: %s#%s\n", rulesDocURI, r.ID)

	c := testCase{
		Name:      r.ID + " on " + g.ref.String(),
		Classname: class,
		File:      g.file(),
	}
	if fails {
		c.Failure = &problem{Message: clean(message), Type: worst.String(), Body: clean(body.String())}
	} else {
		c.SystemOut = clean("below the failure threshold (--fail-on), reported but not failing:\n" + body.String())
	}
	return c
}

func suppressionText(fs []*finding.Finding) string {
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		s := report.Suppression(f.Suppressed)
		if !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "; ")
}

// clean replaces what XML 1.0 cannot carry (most control characters,
// invalid UTF-8) with U+FFFD. Attributes are escaped by encoding/xml
// anyway, but CDATA bodies are written raw, and one stray byte from a
// manifest must not make the whole report unparsable.
func clean(s string) string {
	ok := func(r rune) bool {
		return r == '\t' || r == '\n' || r == '\r' ||
			(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
	}
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !ok(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || !ok(r) {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
