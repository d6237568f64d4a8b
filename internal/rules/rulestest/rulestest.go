// Package rulestest runs a rule family's YAML fixtures through the real
// loader and scan engine. Every rule must have, under its family's
// testdata/<rule-id>/ directory, at least one fixture named fire*.yaml that
// makes it report and one named pass*.yaml that must not.
//
// A fixture may begin with comment lines that state exact expectations:
//
//	# expect-count: 2
//	# expect-message: container "app"
//
// expect-count is the exact number of findings of the rule; each
// expect-message is a substring some finding's message must contain.
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

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// Run checks every rule in list against testdata in dir (usually
// "testdata"). Settings are passed to the rules (nil for defaults);
// provided are analysis results computed outside the inventory (image scan
// results), as `kguard scan --images` hands them to the scan.
func Run(t *testing.T, list []*rules.Rule, dir string, settings *rules.Settings, provided ...analysis.Provided) {
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
				t.Run(base, func(t *testing.T) { runFixture(t, r, f, settings, provided) })
			}
			if fire == 0 || pass == 0 {
				t.Errorf("rule %s needs fixtures %s/%s/fire*.yaml and pass*.yaml (has %d fire, %d pass)", r.ID, dir, r.ID, fire, pass)
			}
		})
	}
}

// Scan loads one fixture file through the input pipeline every command
// uses and runs the given rules over it, returning the result. Load errors
// fail the test.
func Scan(t testing.TB, file string, list []*rules.Rule, settings *rules.Settings, provided ...analysis.Provided) *scan.Result {
	t.Helper()
	// Fixtures are files: the built-in RBAC policy is their baseline, as
	// in kguard scan.
	src := input.Source{Paths: []string{file}, BuiltinRBAC: true}
	if settings != nil {
		src.KubeVersion = settings.TargetVersion
	}
	loaded, err := input.Load(context.Background(), src)
	if err != nil {
		t.Fatalf("fixture does not load: %v", err)
	}
	for _, e := range loaded.Errors {
		t.Fatalf("fixture does not load: %v", e)
	}
	reg, err := rules.NewRegistry(list)
	if err != nil {
		t.Fatal(err)
	}
	res, err := scan.Run(context.Background(), loaded.Inventory, scan.Options{Registry: reg, Settings: settings, Provided: provided})
	if err != nil {
		t.Fatal(err)
	}
	for _, ne := range res.NotEvaluated {
		t.Errorf("not evaluated: %s: %s", ne.Subject, ne.Reason)
	}
	return res
}

func runFixture(t *testing.T, r *rules.Rule, file string, settings *rules.Settings, provided []analysis.Provided) {
	res := Scan(t, file, []*rules.Rule{r}, settings, provided...)
	var got []finding.Finding
	for _, f := range res.Findings {
		if f.Rule == r.ID {
			got = append(got, f)
		}
	}
	firing := strings.HasPrefix(filepath.Base(file), "fire")
	count, messages := expectations(t, file)
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
			var msgs []string
			for _, f := range got {
				msgs = append(msgs, f.Message)
			}
			t.Errorf("%s: no finding message contains %q; the messages:\n%s", file, m, strings.Join(msgs, "\n"))
		}
	}
	for _, f := range got {
		if f.Source.File == "" || f.Source.Line == 0 {
			t.Errorf("%s: finding has no source location: %+v", file, f)
		}
	}
}

func expectations(t *testing.T, file string) (count int, messages []string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	count = -1
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "#") {
			break
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		switch {
		case strings.HasPrefix(line, "expect-count:"):
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "expect-count:")))
			if err != nil {
				t.Fatalf("%s: bad expect-count: %v", file, err)
			}
			count = n
		case strings.HasPrefix(line, "expect-message:"):
			messages = append(messages, strings.TrimSpace(strings.TrimPrefix(line, "expect-message:")))
		}
	}
	return count, messages
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
