package frameworkscmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/rules"
)

// Options are the arguments and flags of `kguard frameworks`.
type Options struct {
	Streams  *cmdutil.Streams
	Registry func() (*rules.Registry, error)
	// Name, when set, shows that framework's controls.
	Name   string
	Output string
}

// NewCmd returns `kguard frameworks [NAME]`.
func NewCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error)) *cobra.Command {
	return newCmd(s, reg, Run)
}

// newCmd maps argv onto Options and hands them to run.
func newCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error), run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{Streams: s, Registry: reg}
	cmd := &cobra.Command{
		Use:   "frameworks [NAME]",
		Short: "List the compliance frameworks, or show the controls of one and the rules behind them",
		Long: `List the compliance frameworks kguard evaluates with --framework: the
standard and its version, the revision of kguard's mapping, how many
controls it has and how many of them kguard's rules cover.

With NAME, list every control of that framework with the rules mapped to
it, or why none is (checked on the node, a manual check, outside what
kguard reads).`,
		Example: `  kguard frameworks
  kguard frameworks cis
  kguard scan --framework nsa examples/`,
		Args: cmdutil.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			return run(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	return cmd
}

// Run lists the frameworks, or one framework's controls.
func Run(_ context.Context, o *Options) error {
	if o.Output != "table" && o.Output != "json" {
		return cmdutil.UsageErrorf("unknown output format %q (want table or json)", o.Output)
	}
	r, err := o.Registry()
	if err != nil {
		return err
	}
	fws, err := framework.All()
	if err != nil {
		return err
	}
	if o.Name != "" {
		f, err := framework.Get(o.Name)
		if err != nil {
			return cmdutil.UsageErrorf("%v", err)
		}
		fws = []*framework.Framework{f}
	}
	doc := describe(fws, r.Rules())
	w := o.Streams.Out
	if o.Output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if o.Name != "" {
			return enc.Encode(doc[0])
		}
		return enc.Encode(doc)
	}
	if o.Name != "" {
		return writeControls(w, doc[0])
	}
	return writeList(w, doc)
}

type frameworkDoc struct {
	Name     string       `json:"name"`
	Title    string       `json:"title"`
	Version  string       `json:"version"`
	Mapping  int          `json:"mapping"`
	Source   string       `json:"source"`
	URL      string       `json:"url"`
	Controls int          `json:"controls"`
	Covered  int          `json:"covered"`
	Rules    int          `json:"rules"`
	List     []controlDoc `json:"controlList"`
}

type controlDoc struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	Section string   `json:"section"`
	Manual  bool     `json:"manual"`
	Rules   []string `json:"rules"`
	Note    string   `json:"note,omitempty"`
}

func describe(fws []*framework.Framework, rs []*rules.Rule) []frameworkDoc {
	out := make([]frameworkDoc, 0, len(fws))
	for _, f := range fws {
		byControl := f.RulesByControl(rs)
		d := frameworkDoc{Name: f.Name, Title: f.Title, Version: f.Version, Mapping: f.Mapping, Source: f.Source,
			URL: f.URL, Controls: f.Len(), Rules: len(f.RuleIDs(rs))}
		for _, s := range f.Sections {
			for _, c := range s.Controls {
				ids := append([]string{}, byControl[c.ID]...)
				if len(ids) > 0 {
					d.Covered++
				}
				note := c.Note
				if note == "" && len(ids) == 0 {
					note = s.Note
				}
				d.List = append(d.List, controlDoc{ID: c.ID, Title: c.Title, Section: s.Title, Manual: c.Manual, Rules: ids, Note: note})
			}
		}
		out = append(out, d)
	}
	return out
}

func writeList(w io.Writer, docs []frameworkDoc) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFRAMEWORK\tVERSION\tMAPPING\tCONTROLS\tCOVERED BY RULES\tRULES")
	for _, d := range docs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\n", d.Name, d.Title, d.Version, d.Mapping, d.Controls, d.Covered, d.Rules)
	}
	return tw.Flush()
}

func writeControls(w io.Writer, d frameworkDoc) error {
	fmt.Fprintf(w, "%s %s (kguard mapping %d)\nSource: %s\n%s\n\n", d.Title, d.Version, d.Mapping, d.Source, d.URL)
	section := ""
	for _, c := range d.List {
		if c.Section != section {
			section = c.Section
			fmt.Fprintf(w, "%s\n", section)
		}
		kind := ""
		if c.Manual {
			kind = " (manual)"
		}
		fmt.Fprintf(w, "  %s  %s%s\n", c.ID, c.Title, kind)
		switch {
		case len(c.Rules) > 0:
			fmt.Fprintf(w, "      rules: %s\n", strings.Join(c.Rules, ", "))
		case c.Note != "":
			fmt.Fprintf(w, "      no rule: %s\n", c.Note)
		default:
			fmt.Fprintln(w, "      no rule")
		}
	}
	return nil
}
