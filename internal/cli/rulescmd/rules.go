// Package rulescmd implements `kguard rules`: list the rule registry and
// explain one rule.
package rulescmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/ruledoc"
)

// Options are the flags of `kguard rules`.
type Options struct {
	Streams  *cmdutil.Streams
	Registry func() (*rules.Registry, error)

	Category string
	Output   string
	// Runtime lists the runtime detection rules instead of the scan rules.
	Runtime bool
}

// NewCmd returns `kguard rules` with its `explain` subcommand.
func NewCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error)) *cobra.Command {
	cmd := newRulesCmd(s, reg, RunList)
	cmd.AddCommand(newExplainCmd(s, reg, RunExplain))
	return cmd
}

func newRulesCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error), run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{Streams: s, Registry: reg}
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rules kguard checks",
		Long: `List every rule: its ID, category, severity and title.

Rule IDs are stable. Use them in the kguard.io/ignore annotation, in
.kguard.yaml (rules.disable, rules.severity, exceptions) and with
'kguard rules explain ID' to read why a rule exists and how to fix it.
--runtime lists the detection rules of 'kguard audit watch' and
'kguard sensor' instead.`,
		Example: `  kguard rules
  kguard rules --category pod-security
  kguard rules -o json | jq '.[].id'
  kguard rules -o markdown > rules.md
  kguard rules --runtime
  kguard rules explain image-latest-tag`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	cmd.Flags().StringVar(&o.Category, "category", "", "only rules of this category ("+categoryNames()+")")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table, json or markdown")
	cmd.Flags().BoolVar(&o.Runtime, "runtime", false, "list the runtime detection rules (audit events; process, file and network events of the sensor)")
	return cmd
}

func categoryNames() string {
	var names []string
	for _, c := range finding.AllCategories() {
		names = append(names, string(c))
	}
	return strings.Join(names, ", ")
}

// ruleJSON is the JSON form of a rule in `kguard rules -o json`.
type ruleJSON struct {
	ID          string             `json:"id"`
	Category    finding.Category   `json:"category"`
	Severity    finding.Severity   `json:"severity"`
	Title       string             `json:"title"`
	Rationale   string             `json:"rationale"`
	Remediation string             `json:"remediation"`
	References  finding.References `json:"references"`
	Scope       string             `json:"scope"`
	Requires    []string           `json:"requires,omitempty"`
	AtAdmission bool               `json:"atAdmission"`
	Enabled     bool               `json:"enabledByDefault"`
}

// RunList prints the registry (or, with Runtime, the detection rules).
func RunList(_ context.Context, o *Options) error {
	if o.Runtime {
		if o.Category != "" {
			return cmdutil.UsageErrorf("--category applies to the scan rules, not with --runtime")
		}
		return runRuntime(o)
	}
	if o.Category != "" && !finding.Category(o.Category).Valid() {
		return cmdutil.UsageErrorf("unknown category %q (want one of %s)", o.Category, categoryNames())
	}
	reg, err := o.Registry()
	if err != nil {
		return fmt.Errorf("rule registry: %w", err)
	}
	list := slices.DeleteFunc(slices.Clone(reg.Rules()), func(r *rules.Rule) bool {
		return o.Category != "" && string(r.Category) != o.Category
	})
	w := o.Streams.Out
	switch o.Output {
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCATEGORY\tSEVERITY\tTITLE")
		for _, r := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Category, r.Severity, r.Title)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%d rules. Details: kguard rules explain ID\n", len(list))
		return nil
	case "json":
		out := make([]ruleJSON, 0, len(list))
		for _, r := range list {
			var requires []string
			for _, k := range r.Requires {
				requires = append(requires, k.AnalysisName())
			}
			out = append(out, ruleJSON{r.ID, r.Category, r.Severity, r.Title, r.Rationale, r.Remediation, r.References, r.Scope().String(), requires, r.AtAdmission(), !r.DisabledByDefault})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "markdown":
		sub, err := rules.NewRegistry(list)
		if err != nil {
			return err
		}
		_, err = w.Write(ruledoc.Markdown(sub))
		return err
	}
	return cmdutil.UsageErrorf("unknown output format %q (want table, json or markdown)", o.Output)
}

// ExplainOptions are the arguments of `kguard rules explain`.
type ExplainOptions struct {
	Streams  *cmdutil.Streams
	Registry func() (*rules.Registry, error)

	// ID is the rule to explain.
	ID string
}

func newExplainCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error), run func(context.Context, *ExplainOptions) error) *cobra.Command {
	o := &ExplainOptions{Streams: s, Registry: reg}
	return &cobra.Command{
		Use:   "explain RULE-ID",
		Short: "Explain one rule: why it matters, how to fix it, references",
		Long: `Print one rule in full: its category, severity and scope (what it reads,
and whether the admission webhook enforces it too), why it matters, how to
fix what it reports, its references (CIS Kubernetes Benchmark, NSA-CISA
hardening guide, MITRE ATT&CK, Pod Security Standards, further reading)
and the annotation that silences it for one object.`,
		Example: "  kguard rules explain pss-baseline-privileged",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = args[0]
			return run(cmd.Context(), o)
		},
	}
}

// RunExplain prints one rule.
func RunExplain(_ context.Context, o *ExplainOptions) error {
	reg, err := o.Registry()
	if err != nil {
		return fmt.Errorf("rule registry: %w", err)
	}
	rule, ok := reg.Get(o.ID)
	if !ok {
		return cmdutil.UsageErrorf("no rule %q (list them with: kguard rules)%s", o.ID, suggest(reg, o.ID))
	}
	return ruledoc.Explain(o.Streams.Out, rule)
}

// suggest names rules whose IDs contain the mistyped one, to help typos.
func suggest(reg *rules.Registry, id string) string {
	var near []string
	for _, r := range reg.Rules() {
		if strings.Contains(r.ID, id) || strings.Contains(id, r.ID) {
			near = append(near, r.ID)
		}
	}
	if len(near) == 0 || len(near) > 5 {
		return ""
	}
	return "; did you mean " + strings.Join(near, ", ") + "?"
}

// runRuntime lists the default runtime detection rules.
func runRuntime(o *Options) error {
	rs, err := detect.Default()
	if err != nil {
		return fmt.Errorf("runtime rules: %w", err)
	}
	w := o.Streams.Out
	switch o.Output {
	case "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSOURCE\tSEVERITY\tMITRE")
		for _, r := range rs.Rules() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Source, r.Severity, strings.Join(r.MITRE, ","))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "\n%d runtime rules. Documentation: docs/runtime-rules.md\n", len(rs.Rules()))
		return err
	case "markdown":
		_, err := io.WriteString(w, detect.Markdown(rs))
		return err
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rs.Rules())
	}
	return cmdutil.UsageErrorf("unknown output format %q (want table, json or markdown)", o.Output)
}
