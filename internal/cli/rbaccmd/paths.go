package rbaccmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/rbac"
)

// PathsOptions are the arguments and flags of `kguard rbac paths`.
type PathsOptions struct {
	Input
	// Subject, when set, asks for its path only.
	Subject string
	Output  string
}

// newPathsCmd is `kguard rbac paths`: shortest privilege-escalation paths
// to cluster-admin.
func newPathsCmd(s *cmdutil.Streams, run func(context.Context, *PathsOptions) error) *cobra.Command {
	o := &PathsOptions{Input: Input{cmdutil.Input{Streams: s}}}
	cmd := &cobra.Command{
		Use:   "paths [SUBJECT] [PATH...]",
		Short: "Show the shortest privilege-escalation paths to cluster-admin",
		Long: `Find how identities become cluster-admin, step by step: an identity that may
create pods (or workloads) in a namespace may run as any service account
there; one that may create tokens, read secrets or impersonate service
accounts of a namespace may become them; and an identity reaches
cluster-admin when it may do anything, impersonate system:masters, escalate
or bind cluster roles, write clusterrolebindings or use nodes/proxy.

With SUBJECT (serviceaccount:NS:NAME, user:NAME or group:NAME), print its
shortest path (or say there is none); without, the shortest path of every
service account, bound user and bound group that has one. With files, the
built-in policy's bindings count as in any cluster, and its own identities
(kube-system's controllers, the control plane's users) are counted rather
than listed: they hold their power by design. -o dot writes the whole
graph (or, with SUBJECT, the path) for Graphviz; an identity that may
become every service account of a namespace points to one node standing
for them all.

With SUBJECT the exit status says whether a path exists, like can-i: 0 for
a path, 1 for none (2 when some input could not be read).`,
		Example: `  kguard rbac paths deploy/
  kguard rbac paths serviceaccount:shop:ci deploy/
  kguard rbac paths --cluster -o json
  kguard rbac paths --cluster -o dot | dot -Tsvg > paths.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && looksLikeSubject(args[0]) {
				o.Subject, args = args[0], args[1:]
			}
			o.Args = args
			return run(cmd.Context(), o)
		},
	}
	o.addFlags(cmd)
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table, json or dot")
	return cmd
}

// looksLikeSubject tells a SUBJECT argument from a PATH by its prefix, so
// that a malformed subject is reported as one rather than as a missing file.
func looksLikeSubject(arg string) bool {
	for _, p := range []string{"serviceaccount:", "user:", "group:", "system:serviceaccount:"} {
		if strings.HasPrefix(arg, p) {
			return true
		}
	}
	return false
}

// RunPaths prints the escalation paths.
func RunPaths(ctx context.Context, o *PathsOptions) error {
	if o.Output != "table" && o.Output != "json" && o.Output != "dot" {
		return cmdutil.UsageErrorf("unknown output format %q (want table, json or dot)", o.Output)
	}
	var subject *rbac.User
	if o.Subject != "" {
		u, err := subjectArg(o.Subject)
		if err != nil {
			return err
		}
		subject = &u
	}
	res, m, err := o.Load(ctx)
	if err != nil {
		return err
	}
	found, err := writePaths(o.Streams.Out, o.Output, m.Escalation(), subject)
	if err != nil {
		return err
	}
	if err := o.Partial(res); err != nil {
		return err
	}
	if !found {
		return cmdutil.Exit(cmdutil.ExitFindings)
	}
	return nil
}

// writePaths writes the paths (of subject, when given) and says whether
// the subject has one (always true without a subject).
func writePaths(w io.Writer, output string, esc *rbac.Escalation, subject *rbac.User) (bool, error) {
	if subject == nil {
		paths := esc.Paths()
		switch output {
		case "json":
			return true, writePathsJSON(w, paths)
		case "dot":
			names, edges := esc.Graph()
			return true, writePathsDot(w, names, edges, paths)
		}
		return true, writePathsTable(w, paths, esc.BuiltinPaths())
	}
	p, ok := esc.PathFrom(*subject)
	var paths []rbac.Path
	if ok {
		paths = []rbac.Path{p}
	}
	switch output {
	case "json":
		return ok, writePathsJSON(w, paths)
	case "dot":
		names := []string{subject.String()}
		for _, st := range p.Steps {
			names = append(names, st.To)
		}
		return ok, writePathsDot(w, names, p.Steps, paths)
	}
	if !ok {
		_, err := fmt.Fprintf(w, "no path: %s cannot reach %s\n", subject, rbac.Goal)
		return false, err
	}
	return true, writePath(w, p)
}

// writePath prints one path step by step, with the bindings.
func writePath(w io.Writer, p rbac.Path) error {
	fmt.Fprintf(w, "%s reaches %s in %s:\n", p.Start, rbac.Goal, pathSteps(len(p.Steps)))
	for i, st := range p.Steps {
		fmt.Fprintf(w, "  %d. %s -> %s\n", i+1, st.Action, st.To)
		switch {
		case st.Via != "" && st.Rule != "":
			fmt.Fprintf(w, "     via %s (rule: %s)\n", st.Via, st.Rule)
		case st.Via != "":
			fmt.Fprintf(w, "     via %s\n", st.Via)
		}
	}
	return nil
}

// writePathsTable prints one line per identity with a path (a step
// granted through a built-in binding or role is marked), then how many
// identities of the built-in policy have one.
func writePathsTable(w io.Writer, paths []rbac.Path, builtin int) error {
	if len(paths) == 0 {
		fmt.Fprintf(w, "no identity can reach %s\n", rbac.Goal)
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "IDENTITY\tSTEPS\tPATH")
		for _, p := range paths {
			var sb strings.Builder
			for i, st := range p.Steps {
				if i > 0 {
					sb.WriteString(" -> ")
				}
				sb.WriteString(st.Action)
				if g := st.Grant; g != nil && (g.Binding.Builtin || g.Binding.RoleBuiltin) {
					sb.WriteString(" " + rbac.BuiltinMark)
				}
				sb.WriteString(" -> " + st.To)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\n", p.Start, len(p.Steps), sb.String())
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if builtin > 0 {
		fmt.Fprintf(w, "(%d identities of the built-in policy, such as kube-system's controllers, also reach %s, by design; ask for one by name)\n", builtin, rbac.Goal)
	}
	return nil
}

type pathJSON struct {
	Subject string     `json:"subject"`
	Steps   []stepJSON `json:"steps"`
}

type stepJSON struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	Action  string    `json:"action"`
	Binding *refJSON  `json:"binding,omitempty"`
	Role    *refJSON  `json:"role,omitempty"`
	Rule    *ruleJSON `json:"rule,omitempty"`
}

func writePathsJSON(w io.Writer, paths []rbac.Path) error {
	out := make([]pathJSON, 0, len(paths))
	for _, p := range paths {
		pj := pathJSON{Subject: p.Start.String(), Steps: make([]stepJSON, 0, len(p.Steps))}
		for _, st := range p.Steps {
			sj := stepJSON{From: st.From, To: st.To, Action: st.Action}
			if g := st.Grant; g != nil {
				br, rr := bindingRef(g.Binding), roleRef(g.Binding)
				sj.Binding, sj.Role = &br, &rr
				// A binding to a cluster-admin role that is not among the
				// objects has no rule to show.
				if r := g.Rule; len(r.Verbs) > 0 {
					sj.Rule = &ruleJSON{r.Verbs, r.APIGroups, r.Resources, r.ResourceNames, r.NonResourceURLs}
				}
			}
			pj.Steps = append(pj.Steps, sj)
		}
		out = append(out, pj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"goal": rbac.Goal, "paths": out})
}

// writePathsDot writes a Graphviz digraph: every node (the goal and the
// identities with a path drawn in red, the nodes that stand for the
// service accounts of a namespace or of all dashed) and every edge
// labelled with its action (an edge from such a group node to its members
// is dashed), in the order given.
func writePathsDot(w io.Writer, names []string, edges []rbac.Step, paths []rbac.Path) error {
	reaches := map[string]bool{}
	for _, p := range paths {
		reaches[p.Start.String()] = true
		for _, st := range p.Steps {
			reaches[st.From] = true
		}
	}
	var sb strings.Builder
	sb.WriteString("digraph escalation {\n  rankdir=LR;\n  node [shape=box];\n")
	for _, n := range names {
		switch {
		case n == rbac.Goal:
			fmt.Fprintf(&sb, "  %s [shape=doubleoctagon, color=red, fontcolor=red];\n", dotQuote(n))
		case strings.HasSuffix(n, "/*"):
			fmt.Fprintf(&sb, "  %s [shape=ellipse, style=dashed];\n", dotQuote(n))
		case reaches[n]:
			fmt.Fprintf(&sb, "  %s [color=red];\n", dotQuote(n))
		default:
			fmt.Fprintf(&sb, "  %s;\n", dotQuote(n))
		}
	}
	for _, e := range edges {
		if e.Action == "" {
			fmt.Fprintf(&sb, "  %s -> %s [style=dashed];\n", dotQuote(e.From), dotQuote(e.To))
			continue
		}
		fmt.Fprintf(&sb, "  %s -> %s [label=%s];\n", dotQuote(e.From), dotQuote(e.To), dotQuote(e.Action))
	}
	sb.WriteString("}\n")
	_, err := io.WriteString(w, sb.String())
	return err
}

func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func pathSteps(n int) string {
	if n == 1 {
		return "1 step"
	}
	return fmt.Sprintf("%d steps", n)
}
