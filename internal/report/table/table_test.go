package table

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/reporttest"
	"github.com/kguard/kguard/internal/scan"
)

func render(t *testing.T, res *scan.Result, opts report.Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, res, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, tt := range []struct {
		name   string
		empty  bool
		adjust func(*report.Options)
	}{
		{name: "fixture.golden"},
		{name: "show-suppressed.golden", adjust: func(o *report.Options) { o.ShowSuppressed = true }},
		{name: "color.golden", adjust: func(o *report.Options) { o.Color = true; o.ShowSuppressed = true }},
		{name: "empty.golden", empty: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, opts := reporttest.Result(t), reporttest.Options(t)
			if tt.empty {
				res, opts = reporttest.Empty(t), report.Options{ToolVersion: "1.2.3-test"}
			}
			if tt.adjust != nil {
				tt.adjust(&opts)
			}
			reporttest.Golden(t, tt.name, []byte(render(t, res, opts)))
		})
	}
}

// TestColorOnlyWhenAsked: CI logs and files must never get escape codes.
func TestColorOnlyWhenAsked(t *testing.T) {
	res, opts := reporttest.Result(t), reporttest.Options(t)
	opts.ShowSuppressed = true
	if out := render(t, res, opts); strings.Contains(out, "\x1b") {
		t.Errorf("escape code in uncoloured output:\n%s", out)
	}
	opts.Color = true
	out := render(t, res, opts)
	for _, want := range []string{"\x1b[1;31mCRITICAL\x1b[0m", "\x1b[31mHIGH\x1b[0m", "\x1b[33mMEDIUM\x1b[0m", "\x1b[36mLOW\x1b[0m", "\x1b[2mINFO\x1b[0m"} {
		if !strings.Contains(out, want) {
			t.Errorf("coloured output lacks %q", want)
		}
	}
}

// TestHostileTextIsNeutralised: a manifest value with escape sequences
// or newlines must neither reach the terminal raw nor break the one line
// per finding layout.
func TestHostileTextIsNeutralised(t *testing.T) {
	res := reporttest.Result(t)
	res.Findings[0].Message = "evil\x1b[2J\rname\nsecond line"
	res.Findings[0].Resource.Name = "x\x9bq\u009bz"
	res.NotEvaluated[0].Reason = "bad\x07bell"
	out := render(t, res, report.Options{})
	if strings.ContainsAny(out, "\x1b\r\x07\u009b") {
		t.Fatalf("control character reached the output: %q", out)
	}
	for _, want := range []string{`evil\x1b[2J\rname\nsecond line`, `x\x9bq\u009bz`, `bad\abell`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks escaped text %q:\n%s", want, out)
		}
	}
}

func TestPartialAndNotEvaluatedNeverLookLikeAPass(t *testing.T) {
	for _, tt := range []struct {
		name        string
		res         *scan.Result
		opts        report.Options
		wantPartial bool
		wantText    []string
	}{
		{"clean", reporttest.Empty(t), report.Options{}, false, []string{"0 findings (critical: 0, high: 0, medium: 0, low: 0, info: 0) in 3 objects, 0 suppressed, 0 not evaluated, 0 input errors\n"}},
		{"not evaluated", &scan.Result{Objects: 1, NotEvaluated: []finding.NotEvaluated{{Subject: "secrets", Reason: "forbidden"}}}, report.Options{}, true,
			[]string{"NOT EVALUATED (1)", "! secrets: forbidden", "1 not evaluated"}},
		{"input error only", reporttest.Empty(t), report.Options{InputErrors: reporttest.Options(t).InputErrors}, true,
			[]string{"INPUT ERRORS (2)", "manifests/bad.yaml:7: yaml: mapping values", "manifests/huge.json: file is larger", "2 input errors"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.res, tt.opts)
			if got := strings.Contains(out, "scan was partial"); got != tt.wantPartial {
				t.Errorf("partial = %v, want %v:\n%s", got, tt.wantPartial, out)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestSuppressedHiddenUnlessAsked(t *testing.T) {
	res := reporttest.Result(t)
	out := render(t, res, report.Options{})
	if strings.Contains(out, "toolbox") || !strings.Contains(out, "2 suppressed") || !strings.Contains(out, "--show-suppressed") {
		t.Errorf("suppressed findings must be counted and hinted at, not listed:\n%s", out)
	}
	out = render(t, res, report.Options{ShowSuppressed: true})
	for _, want := range []string{"SUPPRESSED (2)", "Pod dev/toolbox  manifests/dev.yaml:5",
		`suppressed by annotation kguard.io/ignore: needed for "strace" <ptrace> & perf — ticket SEC-42`,
		"suppressed by a config exception until 2027-01-31: dev images float by design"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorIsReturned(t *testing.T) {
	if err := Write(failWriter{}, reporttest.Result(t), report.Options{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the writer's error", err)
	}
}

// TestNewViewsGolden renders the fixture in every view the display flags
// give; the golden files were checked by hand.
func TestNewViewsGolden(t *testing.T) {
	for _, tt := range []struct {
		name   string
		adjust func(*testing.T, *report.Options)
	}{
		{"width-60.golden", func(_ *testing.T, o *report.Options) { o.Width = 60; o.ShowSuppressed = true }},
		{"width-60-color.golden", func(_ *testing.T, o *report.Options) { o.Width = 60; o.Color = true }},
		{"summary.golden", func(_ *testing.T, o *report.Options) { o.Summary = true }},
		{"frameworks.golden", func(t *testing.T, o *report.Options) { o.Frameworks = reporttest.Frameworks(t) }},
		{"frameworks-summary.golden", func(t *testing.T, o *report.Options) { o.Frameworks = reporttest.Frameworks(t); o.Summary = true }},
		{"group-by-rule.golden", func(_ *testing.T, o *report.Options) { o.GroupBy = report.GroupByRule }},
		{"group-by-namespace.golden", func(_ *testing.T, o *report.Options) { o.GroupBy = report.GroupByNamespace }},
		{"explain.golden", func(_ *testing.T, o *report.Options) { o.Explain = true }},
		{"filtered.golden", func(_ *testing.T, o *report.Options) {
			o.Filtered = report.Filtered{Count: 3, By: "--min-severity high"}
		}},
		{"baseline.golden", func(t *testing.T, o *report.Options) {
			res := reporttest.Result(t)
			gone := res.Findings[0]
			gone.Resource.Name, gone.Message = "old-admin", `ClusterRole grants verbs ["*"]`
			o.Baseline = reporttest.Baseline(t, res.Findings[2], res.Findings[4], gone)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := reporttest.Options(t)
			tt.adjust(t, &opts)
			reporttest.Golden(t, tt.name, []byte(render(t, reporttest.Result(t), opts)))
		})
	}
}
