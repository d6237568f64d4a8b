package rulescmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/rules/ruledoc"
)

func TestRulesArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *Options) error) *cobra.Command {
		return newRulesCmd(s, all.Registry, run)
	}
	tests := []struct {
		args []string
		want *Options
		err  string
	}{
		{nil, &Options{Streams: s, Output: "table"}, ""},
		{[]string{"--category", "rbac", "-o", "json"}, &Options{Streams: s, Category: "rbac", Output: "json"}, ""},
		{[]string{"--runtime", "--output", "markdown"}, &Options{Streams: s, Output: "markdown", Runtime: true}, ""},
		{[]string{"pss-baseline-privileged"}, nil, `unknown command "pss-baseline-privileged" for "rules"`},
	}
	for _, tt := range tests {
		got, err := clitest.Parse(t, newCmd, tt.args...)
		if tt.err != "" {
			if cmdutil.CodeOf(err) != cmdutil.ExitUsage || !strings.Contains(fmt.Sprint(err), tt.err) {
				t.Errorf("%v: error %v, want a usage error with %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if d := clitest.Diff(tt.want, got); d != "" {
			t.Errorf("%v: options (-want +got):\n%s", tt.args, d)
		}
		if got.Registry == nil {
			t.Errorf("%v: no registry", tt.args)
		}
	}
}

func TestExplainArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ExplainOptions) error) *cobra.Command {
		return newExplainCmd(s, all.Registry, run)
	}
	got, err := clitest.Parse(t, newCmd, "image-latest-tag")
	if err != nil {
		t.Fatal(err)
	}
	if d := clitest.Diff(&ExplainOptions{Streams: s, ID: "image-latest-tag"}, got); d != "" {
		t.Errorf("options (-want +got):\n%s", d)
	}
	for _, args := range [][]string{nil, {"a", "b"}} {
		if _, err := clitest.Parse(t, newCmd, args...); cmdutil.CodeOf(err) != cmdutil.ExitUsage || !strings.Contains(fmt.Sprint(err), "accepts 1 arg(s)") {
			t.Errorf("%v: error %v, want a usage error", args, err)
		}
	}
}

func list(t *testing.T, o Options) (string, error) {
	t.Helper()
	var out bytes.Buffer
	o.Streams = &cmdutil.Streams{Out: &out, ErrOut: new(bytes.Buffer)}
	if o.Registry == nil {
		o.Registry = all.Registry
	}
	if o.Output == "" {
		o.Output = "table"
	}
	err := RunList(context.Background(), &o)
	return out.String(), err
}

func registry(t *testing.T) *rules.Registry {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestList(t *testing.T) {
	reg := registry(t)
	out, err := list(t, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// Header, one row per rule, a blank line and the count.
	if want := len(reg.Rules()) + 3; len(lines) != want || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), want, out)
	}
	if last := lines[len(lines)-1]; last != fmt.Sprintf("%d rules. Details: kguard rules explain ID", len(reg.Rules())) {
		t.Errorf("last line %q", last)
	}
	for i, r := range reg.Rules() {
		if f := strings.Fields(lines[i+1]); len(f) < 4 || f[0] != r.ID || f[1] != string(r.Category) || f[2] != r.Severity.String() {
			t.Errorf("row %d %q, want %s %s %s", i+1, lines[i+1], r.ID, r.Category, r.Severity)
		}
	}

	out, err = list(t, Options{Output: "json", Category: "rbac"})
	if err != nil {
		t.Fatal(err)
	}
	var got []ruleJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var want []string
	for _, r := range reg.Rules() {
		if r.Category == finding.Category("rbac") {
			want = append(want, r.ID)
		}
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
		if r.Category != "rbac" || r.Remediation == "" || r.Scope == "" {
			t.Errorf("%s: %+v", r.ID, r)
		}
	}
	if len(want) == 0 || !slices.Equal(ids, want) {
		t.Errorf("--category rbac -o json: %v, want %v", ids, want)
	}

	out, err = list(t, Options{Output: "markdown"})
	if err != nil {
		t.Fatal(err)
	}
	if out != string(ruledoc.Markdown(reg)) {
		t.Error("-o markdown differs from the rules reference (ruledoc.Markdown, docs/rules.md)")
	}
}

func TestListRuntime(t *testing.T) {
	rs, err := detect.Default()
	if err != nil {
		t.Fatal(err)
	}
	out, err := list(t, Options{Runtime: true, Output: "json"})
	if err != nil {
		t.Fatal(err)
	}
	var got []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(got) == 0 || len(got) != len(rs.Rules()) {
		t.Fatalf("%d runtime rules, want %d", len(got), len(rs.Rules()))
	}
	for i, r := range rs.Rules() {
		if got[i].ID != r.ID {
			t.Errorf("rule %d: %s, want %s", i, got[i].ID, r.ID)
		}
	}
	out, err = list(t, Options{Runtime: true})
	if err != nil || !strings.Contains(out, fmt.Sprintf("\n%d runtime rules.", len(rs.Rules()))) || !strings.Contains(out, rs.Rules()[0].ID) {
		t.Errorf("table: %v\n%s", err, out)
	}
	out, err = list(t, Options{Runtime: true, Output: "markdown"})
	if err != nil || out != detect.Markdown(rs) {
		t.Errorf("markdown differs from detect.Markdown: %v", err)
	}
}

func TestListErrors(t *testing.T) {
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Category: "nope"}, `unknown category "nope"`},
		{Options{Output: "yaml"}, `unknown output format "yaml"`},
		{Options{Runtime: true, Output: "yaml"}, `unknown output format "yaml"`},
		{Options{Runtime: true, Category: "rbac"}, "--category applies to the scan rules"},
	} {
		out, err := list(t, tt.o)
		if cmdutil.CodeOf(err) != cmdutil.ExitUsage || !strings.Contains(fmt.Sprint(err), tt.want) || out != "" {
			t.Errorf("%+v: error %v, output %q; want a usage error with %q", tt.o, err, out, tt.want)
		}
	}
}

func TestExplain(t *testing.T) {
	reg := registry(t)
	r, ok := reg.Get("pss-baseline-privileged")
	if !ok {
		t.Fatal("no pss-baseline-privileged")
	}
	var out bytes.Buffer
	s := &cmdutil.Streams{Out: &out}
	if err := RunExplain(context.Background(), &ExplainOptions{Streams: s, Registry: all.Registry, ID: r.ID}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{r.ID + ": " + r.Title, "Severity:  " + r.Severity.String(), "Why:", "Fix:", `kguard.io/ignore: "pss-baseline-privileged"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explain lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	err := RunExplain(context.Background(), &ExplainOptions{Streams: s, Registry: all.Registry, ID: "privileged"})
	if cmdutil.CodeOf(err) != cmdutil.ExitUsage || !strings.Contains(fmt.Sprint(err), `no rule "privileged"`) || !strings.Contains(fmt.Sprint(err), "did you mean") || out.Len() > 0 {
		t.Errorf("unknown rule: %v, output %q", err, out.String())
	}
}
