// Package rulestest runs a rule family's YAML fixtures through the real
// loader and scan engine. Every rule must have, under its family's
// testdata/<rule-id>/ directory, at least one fixture named fire*.yaml that
// makes it report and one named pass*.yaml that must not.
//
// A fixture may begin with comment lines that state exact expectations:
//
//	# expect-count: 2
//	# expect-message: container "app"
//	# expect-field: spec.template.spec.containers[0].securityContext
//	# expect-line: 3
//
// expect-count is the exact number of findings of the rule; each
// expect-message is a substring some finding's message must contain; each
// expect-field is the exact field path of some finding; expect-line is the
// line every finding must point at.
package rulestest

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// Run checks every rule in list against testdata in dir (usually
// "testdata"). Settings are passed to the rules (nil for defaults).
func Run(t *testing.T, list []*rules.Rule, dir string, settings *rules.Settings) {
	t.Helper()
	for _, r := range list {
		t.Run(r.ID, func(t *testing.T) {
			files, _ := filepath.Glob(filepath.Join(dir, r.ID, "*.yaml"))
			var fire, pass int
			for _, f := range files {
				base := filepath.Base(f)
				switch {
				case strings.HasPrefix(base, "fire"):
					fire++
				case strings.HasPrefix(base, "pass"):
					pass++
				default:
					continue
				}
				t.Run(base, func(t *testing.T) { runFixture(t, r, f, settings) })
			}
			if fire == 0 || pass == 0 {
				t.Errorf("rule %s needs fixtures %s/%s/fire*.yaml and pass*.yaml (has %d fire, %d pass)", r.ID, dir, r.ID, fire, pass)
			}
		})
	}
}

// Scan loads one fixture file and runs the given rules over it, returning
// the result. Load errors fail the test.
func Scan(t testing.TB, file string, list []*rules.Rule, settings *rules.Settings) *scan.Result {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.DecodeFile(file, data)
	// Custom resources with pod templates are workloads, as in a scan.
	errs = append(errs, (*extract.Templates)(nil).Resolve(objs)...)
	for _, e := range errs {
		t.Fatalf("fixture does not load: %v", e)
	}
	reg, err := rules.NewRegistry(list)
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), inventory.New(objs), scan.Options{Registry: reg, Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	for _, ne := range res.NotEvaluated {
		t.Errorf("not evaluated: %s: %s", ne.Subject, ne.Reason)
	}
	return res
}

func runFixture(t *testing.T, r *rules.Rule, file string, settings *rules.Settings) {
	res := Scan(t, file, []*rules.Rule{r}, settings)
	var got []finding.Finding
	for _, f := range res.Findings {
		if f.Rule == r.ID {
			got = append(got, f)
		}
	}
	firing := strings.HasPrefix(filepath.Base(file), "fire")
	exp := expectations(t, file)
	count, messages := exp.count, exp.messages
	switch {
	case firing && len(got) == 0:
		t.Fatalf("%s: rule %s did not fire", file, r.ID)
	case !firing && len(got) > 0:
		t.Fatalf("%s: rule %s fired but must not: %s", file, r.ID, got[0].Message)
	}
	if count >= 0 && len(got) != count {
		var msgs []string
		for _, f := range got {
			msgs = append(msgs, f.Resource.String()+": "+f.Message)
		}
		t.Errorf("%s: %d findings, want %d:\n%s", file, len(got), count, strings.Join(msgs, "\n"))
	}
	for _, m := range messages {
		found := false
		for _, f := range got {
			found = found || strings.Contains(f.Message, m)
		}
		if !found {
			t.Errorf("%s: no finding message contains %q", file, m)
		}
	}
	for _, field := range exp.fields {
		found := false
		var all []string
		for _, f := range got {
			found = found || f.Field == field
			all = append(all, f.Field)
		}
		if !found {
			t.Errorf("%s: no finding is about field %q (fields: %s)", file, field, strings.Join(all, ", "))
		}
	}
	for _, f := range got {
		if f.Source.File == "" || f.Source.Line == 0 {
			t.Errorf("%s: finding has no source location: %+v", file, f)
		}
		if exp.line > 0 && f.Source.Line != exp.line {
			t.Errorf("%s: finding %q points at line %d, want %d", file, f.Message, f.Source.Line, exp.line)
		}
	}
}

// expected is what a fixture's comment header states.
type expected struct {
	count    int // -1 when not stated
	messages []string
	fields   []string
	line     int // 0 when not stated
}

func expectations(t *testing.T, file string) expected {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	exp := expected{count: -1}
	number := func(s string) int {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("%s: bad number in %q: %v", file, s, err)
		}
		return n
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "#") {
			break
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		if v, ok := strings.CutPrefix(line, "expect-count:"); ok {
			exp.count = number(v)
		} else if v, ok := strings.CutPrefix(line, "expect-message:"); ok {
			exp.messages = append(exp.messages, strings.TrimSpace(v))
		} else if v, ok := strings.CutPrefix(line, "expect-field:"); ok {
			exp.fields = append(exp.fields, strings.TrimSpace(v))
		} else if v, ok := strings.CutPrefix(line, "expect-line:"); ok {
			exp.line = number(v)
		}
	}
	return exp
}

// Fixtures returns a rule's fire and pass fixture files, given the path of
// the internal/rules directory. A family keeps them in its own
// testdata/<rule-id>/ directory; rule IDs are unique, so the family need
// not be named.
func Fixtures(rulesDir string, r *rules.Rule) (fire, pass []string) {
	fire, _ = filepath.Glob(filepath.Join(rulesDir, "*", "testdata", r.ID, "fire*.yaml"))
	pass, _ = filepath.Glob(filepath.Join(rulesDir, "*", "testdata", r.ID, "pass*.yaml"))
	return fire, pass
}
