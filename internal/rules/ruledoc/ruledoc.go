// Package ruledoc renders the rule registry as documentation: the Markdown
// of docs/rules.md and the text of `kguard rules explain`. Both come from
// the registry alone, so the docs cannot drift from the code.
package ruledoc

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

// Markdown renders every rule, grouped by category.
func Markdown(reg *rules.Registry) []byte {
	var b bytes.Buffer
	b.WriteString("# kguard rules\n\n")
	b.WriteString("<!-- Generated from the rule registry by `go test ./internal/rules/all -update`. Do not edit. -->\n\n")
	fmt.Fprintf(&b, "%d rules. Silence one for an object with the annotation `%s: \"rule-id\"` (and `%s`), or project-wide in `.kguard.yaml`.\n\n",
		reg.Len(), rules.AnnotationIgnore, rules.AnnotationIgnoreReason)
	byCat := map[finding.Category][]*rules.Rule{}
	for _, r := range reg.Rules() {
		byCat[r.Category] = append(byCat[r.Category], r)
	}
	b.WriteString("| ID | Category | Severity | Scope | Title |\n|---|---|---|---|---|\n")
	for _, r := range reg.Rules() {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %s | %s | %s |\n", r.ID, r.ID, r.Category, r.Severity, scope(r), cell(r.Title))
	}
	for _, c := range finding.AllCategories() {
		list := byCat[c]
		if len(list) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n", c)
		for _, r := range list {
			fmt.Fprintf(&b, "\n### %s\n\n", r.ID)
			fmt.Fprintf(&b, "**%s** — severity `%s`, %s%s.\n\n", r.Title, r.Severity, scope(r), defaultNote(r))
			fmt.Fprintf(&b, "%s\n\n", r.Rationale)
			fmt.Fprintf(&b, "**Fix:** %s\n", r.Remediation)
			if refs := r.References.List(); len(refs) > 0 {
				b.WriteString("\n**References:** " + strings.Join(refs, "; ") + "\n")
			}
		}
	}
	return b.Bytes()
}

// Explain writes one rule for a terminal.
func Explain(w io.Writer, r *rules.Rule) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s: %s\n\n", r.ID, r.Title)
	fmt.Fprintf(&b, "Category:  %s\nSeverity:  %s\nScope:     %s%s\n\n", r.Category, r.Severity, scope(r), defaultNote(r))
	fmt.Fprintf(&b, "Why:\n%s\n\n", indent(r.Rationale))
	fmt.Fprintf(&b, "Fix:\n%s\n", indent(r.Remediation))
	if refs := r.References.List(); len(refs) > 0 {
		b.WriteString("\nReferences:\n")
		for _, ref := range refs {
			fmt.Fprintf(&b, "  - %s\n", ref)
		}
	}
	fmt.Fprintf(&b, "\nSilence for one object: annotation %s: %q\n", rules.AnnotationIgnore, r.ID)
	_, err := w.Write(b.Bytes())
	return err
}

// scope describes what the rule reads and whether it runs at admission.
func scope(r *rules.Rule) string {
	var b strings.Builder
	switch r.Scope() {
	case rules.ScopeObject:
		b.WriteString("one object")
	case rules.ScopeWorkload:
		b.WriteString("one workload")
	default:
		b.WriteString("the whole inventory")
	}
	if len(r.Requires) > 0 {
		names := make([]string, len(r.Requires))
		for i, k := range r.Requires {
			names[i] = k.AnalysisName()
		}
		fmt.Fprintf(&b, ", requires %s", strings.Join(names, ", "))
	}
	if r.AtAdmission() {
		b.WriteString(" (also enforced at admission)")
	}
	return b.String()
}

func defaultNote(r *rules.Rule) string {
	if r.DisabledByDefault {
		return ", off by default (enable in .kguard.yaml)"
	}
	return ""
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
