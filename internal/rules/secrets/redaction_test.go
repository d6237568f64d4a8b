package secrets

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// TestNoFindingCarriesAValue scans every fixture of this family with its
// rules and requires that no finding (message, field, any JSON field)
// contains a value planted in the fixtures, nor its base64 form. The
// values are collected from the objects without the detectors: every
// value of every Secret, every literal env value, every argument and
// every token of ConfigMap data, annotations and scripts that mixes
// character classes (so also values no detector recognises, see
// testdata/redaction). A rule that prints the values it judges, run in
// the same test, must be caught.
func TestNoFindingCarriesAValue(t *testing.T) {
	loaded, err := input.Load(context.Background(), input.Source{Paths: []string{"testdata"}})
	if err != nil || len(loaded.Errors) > 0 {
		t.Fatalf("load: %v %v", err, loaded.Errors)
	}
	planted := plantedValues(loaded.Inventory.Objects())
	for _, must := range []string{"correct horse battery staple", "Rv7qPLx2/Wm9KzT4", "K7QX-99PL-ZT4M-R2VB", "Qz81-Lw7P", "3kT9-qq71-Lm"} {
		if !planted[must] {
			t.Fatalf("the fixture value #%s is not planted: the collection misses a kind of value", Fingerprint(must))
		}
	}
	if len(planted) < 100 {
		t.Fatalf("only %d values planted: the fixtures changed", len(planted))
	}

	run := func(list []*rules.Rule) []finding.Finding {
		reg, err := rules.NewRegistry(list)
		if err != nil {
			t.Fatal(err)
		}
		res, err := scan.Run(context.Background(), loaded.Inventory, scan.Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		return res.Findings
	}

	fs := run(Rules())
	if len(fs) < 30 {
		t.Fatalf("only %d findings: the rules or fixtures changed", len(fs))
	}
	for _, l := range leaks(t, fs, planted) {
		t.Errorf("a finding carries a planted value: %s", l)
	}

	// Negative control: a rule that prints each value it reads.
	leaky := &rules.Rule{
		ID: "leaky-control", Category: finding.CategorySecrets, Severity: finding.SeverityLow,
		Title: "control", Rationale: "control", Remediation: "control",
		References: finding.References{URLs: []string{"https://example.com/control"}},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			for _, e := range Entries(obj) {
				p.Report(obj, e.Field, e.Value+strings.Join(e.Args, " "))
			}
		},
	}
	caught := leaks(t, run([]*rules.Rule{leaky}), planted)
	t.Logf("%d values planted, %d findings, control caught leaking %d", len(planted), len(fs), len(caught))
	if len(caught) < len(planted)/2 {
		t.Errorf("the leaky control rule is caught leaking %d of %d values: the check is blind", len(caught), len(planted))
	}
}

// leaks describes, by fingerprint, the planted values found in findings.
func leaks(t *testing.T, fs []finding.Finding, planted map[string]bool) []string {
	t.Helper()
	var out []string
	for v := range planted {
		forms := []string{v, base64.StdEncoding.EncodeToString([]byte(v))}
		for _, f := range fs {
			// What a finding says about its object; the rest (title, source
			// file) comes from the rule and the file name.
			b, err := json.Marshal([]any{f.Message, f.Field, f.Resource})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), forms[0]) || strings.Contains(string(b), forms[1]) {
				// Never the value itself, even in a failing test.
				out = append(out, fmt.Sprintf("%s in a %s finding on %s", Fingerprint(v), f.Rule, f.Resource.Name))
				break
			}
		}
	}
	return out
}

// plantedValues collects the values written in objs without asking the
// detectors. Values of 6 characters or more are kept, except those that
// also occur in a name (an object, container, key, flag or setting of a
// configuration file is named in messages by design: a Secret
// "release-name-metrics" holding "metrics", "value of \"admin_password\"").
func plantedValues(objs []*inventory.Object) map[string]bool {
	var names []string
	values := map[string]bool{}
	words := func(s string) {
		for _, w := range strings.FieldsFunc(s, func(r rune) bool {
			return strings.ContainsRune(" \t\n\"'=:,;{}[]()<>@", r)
		}) {
			if mixedClasses(w) >= 2 {
				values[w] = true
			}
		}
	}
	for _, o := range objs {
		names = append(names, o.Name, o.Namespace)
		if o.Meta != nil {
			for k, v := range o.Meta.Annotations {
				names = append(names, k)
				values[v] = true
				words(v)
			}
		}
		switch x := o.Typed.(type) {
		case *corev1.Secret:
			for k, v := range x.Data {
				names = append(names, k)
				values[string(v)] = true
			}
			for k, v := range x.StringData {
				names = append(names, k)
				values[v] = true
			}
		case *corev1.ConfigMap:
			for k, v := range x.Data {
				names = append(names, k)
				values[v] = true
				words(v)
				for _, a := range assignments(v) {
					names = append(names, a.name) // "admin_password = ..." names a setting
				}
			}
		}
		w, ok := extract.PodSpec(o)
		if !ok {
			continue
		}
		for _, c := range w.Containers() {
			names = append(names, c.Container.Name, c.Container.Image)
			for _, e := range c.Container.Env {
				names = append(names, e.Name)
				values[e.Value] = true
				words(e.Value)
			}
			args := append(append([]string{}, c.Container.Command...), c.Container.Args...)
			for _, p := range []*corev1.Probe{c.Container.LivenessProbe, c.Container.ReadinessProbe, c.Container.StartupProbe} {
				if p != nil && p.Exec != nil {
					args = append(args, p.Exec.Command...)
				}
			}
			for _, a := range args {
				if name, v, ok := strings.Cut(strings.TrimLeft(a, "-"), "="); ok && strings.HasPrefix(a, "-") {
					names = append(names, strings.TrimPrefix(name, "D"), name)
					values[v] = true
				} else if strings.HasPrefix(a, "-") {
					names = append(names, strings.TrimLeft(a, "-"))
				}
				words(a) // a subcommand ("server") is kept only if it mixes classes
				for _, as := range assignments(a) {
					names = append(names, as.name)
				}
			}
		}
	}
	out := map[string]bool{}
	for v := range values {
		if len(v) < 6 {
			continue
		}
		named := false
		for _, n := range names {
			if strings.Contains(n, v) {
				named = true
				break
			}
		}
		if !named {
			out[v] = true
		}
	}
	return out
}
