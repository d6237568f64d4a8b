package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/cli/progress"
	"github.com/kguard/kguard/internal/rules/all"
)

// runStreams runs kguard scan over the given streams.
func runStreams(t *testing.T, s *cmdutil.Streams, args ...string) int {
	t.Helper()
	cmd := NewCmd(s, reg)
	cmd.SetArgs(args)
	cmd.SetOut(s.Out)
	cmd.SetErr(s.ErrOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if e, ok := err.(*cmdutil.ExitError); ok && e.Err != nil {
		s.ErrOut.Write([]byte("error: " + e.Err.Error()))
	}
	return cmdutil.CodeOf(err)
}

// TestSeverityFiltersLeaveTheExitStatus: latest has a medium finding
// (image-latest-tag) and a low one (image-not-pinned-by-digest) under the
// images rules these tests use.
func TestSeverityFiltersLeaveTheExitStatus(t *testing.T) {
	out, _, code := run(t, latest, "--min-severity", "high", "--fail-on", "medium", "-")
	if code != 1 {
		t.Errorf("exit %d: a hidden medium finding must still fail --fail-on medium", code)
	}
	if strings.Contains(out, "image-latest-tag") || !strings.Contains(out, "hidden by --min-severity high") {
		t.Errorf("--min-severity high output:\n%s", out)
	}
	out, _, _ = run(t, latest, "--severity", "low", "-")
	if strings.Contains(out, "MEDIUM") || !strings.Contains(out, "LOW") || !strings.Contains(out, "hidden by --severity low") {
		t.Errorf("--severity low output:\n%s", out)
	}
	out, _, _ = run(t, latest, "-o", "json", "--severity", "medium,critical", "-")
	var doc struct {
		Findings []struct{ Severity string } `json:"findings"`
		Summary  struct {
			Filtered struct{ Findings int } `json:"filtered"`
		} `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Findings {
		if f.Severity != "medium" {
			t.Errorf("JSON with --severity medium,critical lists a %s finding", f.Severity)
		}
	}
	if len(doc.Findings) == 0 || doc.Summary.Filtered.Findings == 0 {
		t.Errorf("JSON: %d findings, %d filtered", len(doc.Findings), doc.Summary.Filtered.Findings)
	}
	for _, args := range [][]string{{"--severity", "urgent"}, {"--min-severity", "x"}, {"--group-by", "file"}, {"--color", "sometimes"}, {"--fail-on-new"}} {
		if _, stderr, code := run(t, latest, append(args, "-")...); code != 2 || !strings.Contains(stderr, args[0]) {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

var escape = regexp.MustCompile("\x1b\\[")

// TestColourAndWidth: colour on a terminal unless NO_COLOR or TERM=dumb,
// --color overrides both ways; on a terminal, lines fit its width.
func TestColourAndWidth(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "xterm-256color")
	render := func(tty bool, args ...string) string {
		var out, errOut bytes.Buffer
		s := &cmdutil.Streams{In: strings.NewReader(latest), Out: &out, ErrOut: &errOut, OutIsTerminal: tty, OutWidth: 44}
		runStreams(t, s, append(args, "-")...)
		return out.String()
	}
	for _, tt := range []struct {
		name  string
		tty   bool
		env   map[string]string
		args  []string
		color bool
	}{
		{"terminal", true, nil, nil, true},
		{"pipe", false, nil, nil, false},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1"}, nil, false},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, nil, false},
		{"--color never on a terminal", true, nil, []string{"--color", "never"}, false},
		{"--color always into a pipe", false, nil, []string{"--color", "always"}, true},
		{"--color always beats NO_COLOR", false, map[string]string{"NO_COLOR": "1"}, []string{"--color", "always"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			out := render(tt.tty, tt.args...)
			if got := escape.MatchString(out); got != tt.color {
				t.Errorf("coloured = %v, want %v:\n%q", got, tt.color, out)
			}
		})
	}
	wide := render(false)
	narrow := render(true, "--color", "never")
	for _, line := range strings.Split(strings.TrimSuffix(narrow, "\n"), "\n") {
		if len([]rune(line)) > 44 {
			t.Errorf("terminal of 44 columns got a line of %d: %q", len([]rune(line)), line)
		}
	}
	longest := 0
	for _, line := range strings.Split(wide, "\n") {
		longest = max(longest, len(line))
	}
	if longest <= 44 {
		t.Errorf("piped output should keep whole lines (longest %d); the test needs one wider than 44", longest)
	}
}

// TestBaselineFlow: write a JSON report, change the input, and compare:
// the new finding is marked and fails --fail-on-new; the old one does not.
func TestBaselineFlow(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	if _, stderr, code := run(t, latest, "-o", "json", "--output-file", base, "--fail-on", "none", "-"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	second := latest + "---\napiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: shop}\nspec:\n  containers: [{name: c, image: redis}]\n"

	out, _, code := run(t, second, "--baseline", base, "--fail-on", "medium", "--fail-on-new", "-")
	if code != 1 {
		t.Errorf("a new medium finding: exit %d, want 1", code)
	}
	if !strings.Contains(out, "+ MEDIUM") || !strings.Contains(out, "since the baseline:") {
		t.Errorf("table lacks the new marker or the baseline summary:\n%s", out)
	}
	if _, _, code := run(t, latest, "--baseline", base, "--fail-on", "medium", "--fail-on-new", "-"); code != 0 {
		t.Errorf("nothing new: exit %d, want 0", code)
	}
	if _, _, code := run(t, latest, "--baseline", base, "--fail-on", "medium", "-"); code != 1 {
		t.Errorf("without --fail-on-new the old finding still fails: exit %d, want 1", code)
	}
	out, _, _ = run(t, pinned, "--baseline", base, "-")
	if !strings.Contains(out, "FIXED (") || !strings.Contains(out, "image-latest-tag") {
		t.Errorf("fixed findings not listed:\n%s", out)
	}
	// A finding hidden by a display filter is not fixed.
	out, _, _ = run(t, latest, "--baseline", base, "--min-severity", "high", "-")
	if strings.Contains(out, "FIXED") || !strings.Contains(out, "0 fixed") {
		t.Errorf("findings hidden by --min-severity reported as fixed:\n%s", out)
	}

	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"runs": []}`), 0o644)
	if _, stderr, code := run(t, latest, "--baseline", bad, "-"); code != 2 || !strings.Contains(stderr, "bad.json: not a kguard JSON report") {
		t.Errorf("bad baseline: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code := run(t, latest, "--baseline", filepath.Join(dir, "missing.json"), "-"); code != 2 || !strings.Contains(stderr, "missing.json") {
		t.Errorf("missing baseline: exit %d, stderr %q", code, stderr)
	}
}

// TestProgressLine: on a terminal's standard error the status line is
// drawn and erased, and the report on standard output is untouched; piped,
// or in CI, nothing but the report's own messages reaches standard error.
func TestProgressLine(t *testing.T) {
	t.Setenv("TERM", "xterm")
	scanWith := func(tty bool) (string, string) {
		var out, errOut syncBuffer
		o := &Options{Input: cmdutil.Input{Args: []string{"../../../examples"}}, Registry: all.Registry,
			progress: progress.Options{Delay: time.Nanosecond, Interval: time.Millisecond}}
		o.Streams = &cmdutil.Streams{Out: &out, ErrOut: &errOut, ErrIsTerminal: tty}
		o.Report.Output, o.Report.FailOn = "table", "none"
		if err := Run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		return out.String(), errOut.String()
	}
	t.Setenv("CI", "")
	out, errOut := scanWith(true)
	if !strings.Contains(errOut, "\r\x1b[K") || !strings.HasSuffix(errOut, "\r\x1b[K") {
		t.Errorf("terminal: no status line, or not erased at the end: %q", errOut)
	}
	if strings.Contains(out, "\r") || !strings.Contains(out, "findings (") {
		t.Errorf("the status line leaked into the report: %q", out[:min(len(out), 200)])
	}
	if _, errOut := scanWith(false); errOut != "" {
		t.Errorf("piped: stderr %q, want nothing", errOut)
	}
	t.Setenv("CI", "true")
	if _, errOut := scanWith(true); errOut != "" {
		t.Errorf("CI: stderr %q, want nothing", errOut)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestConfigExceptionWarnings: an expired exception and one with a typo are
// info findings in the report and a line each on standard error, naming
// the config file and line.
func TestConfigExceptionWarnings(t *testing.T) {
	cfg := write(t, "kguard.yaml", "exceptions:\n  - rules: [image-latest-tag]\n    reason: old\n    expires: 2020-01-01\n  - rules: [image-latest-tags]\n    reason: typo\n")
	out, stderr, code := run(t, latest, "--config", cfg, "--fail-on", "medium", "-")
	if code != 1 {
		t.Errorf("exit %d: the expired exception must not suppress", code)
	}
	for _, want := range []string{
		"warning: " + cfg + ":2: exception 1 expired on 2020-01-01 and no longer suppresses: rules image-latest-tag (reason: \"old\") (config-exception-expired)\n",
		"warning: " + cfg + ":5: exception 2 matches no rule that ran: rules image-latest-tags (reason: \"typo\") (config-exception-unused)\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(out, "KguardConfig kguard.yaml  "+cfg+":2") || !strings.Contains(out, "config-exception-unused") {
		t.Errorf("report lacks the config findings:\n%s", out)
	}
}

// TestFrameworkScope: with --framework only the framework's rules'
// findings are listed and fail the run; every control is reported.
func TestFrameworkScope(t *testing.T) {
	if _, _, code := run(t, latest, "--fail-on", "medium", "-"); code != 1 {
		t.Fatalf("without --framework: exit %d, want 1 (image-latest-tag is medium)", code)
	}
	// image-latest-tag cites no CIS check, so under --framework cis nothing
	// at medium or above is left.
	out, stderr, code := run(t, latest, "--framework", "cis", "--fail-on", "medium", "-o", "json", "-")
	if code != 0 {
		t.Errorf("--framework cis: exit %d, want 0: %s", code, stderr)
	}
	var doc struct {
		Findings   []struct{ Rule string } `json:"findings"`
		Frameworks []struct {
			Name     string
			Controls []struct{ ID, Status string }
		} `json:"frameworks"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, f := range doc.Findings {
		if f.Rule == "image-latest-tag" {
			t.Error("a finding outside the framework is listed")
		}
	}
	if len(doc.Frameworks) != 1 || doc.Frameworks[0].Name != "cis" || len(doc.Frameworks[0].Controls) != 131 {
		t.Fatalf("frameworks = %+v", doc.Frameworks)
	}
	if _, stderr, code := run(t, latest, "--framework", "iso", "-"); code != 2 || !strings.Contains(stderr, `unknown framework "iso"`) {
		t.Errorf("unknown framework: exit %d, %s", code, stderr)
	}
}

// TestHTMLReportDrawsPictures: kguard scan -o html keeps the analyses the
// rules built, so the page has the RBAC paths and the network matrix.
func TestHTMLReportDrawsPictures(t *testing.T) {
	var out, errOut bytes.Buffer
	o := &Options{Input: cmdutil.Input{Args: []string{"../../../examples"}}, Registry: all.Registry}
	o.Streams = &cmdutil.Streams{Out: &out, ErrOut: &errOut}
	o.Report.Output, o.Report.FailOn = "html", "none"
	if err := Run(context.Background(), o); err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	page := out.String()
	for _, want := range []string{`<svg class="paths"`, "ServiceAccount legacy/default", `<table class="matrix">`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "Not drawn") {
		t.Error("the page says the pictures were not drawn")
	}
}
