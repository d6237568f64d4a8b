// Package auditcmd implements `kguard audit`: what an API server audit
// policy records (explain), the detection rules over audit events read
// from the log or received as the API server's webhook backend (watch),
// and the manifests that run that backend in a cluster (manifests).
package auditcmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/auditpolicy"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// NewCmd returns `kguard audit`.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Audit events: what a policy records, detection over the log or webhook, manifests",
		Long: `Analyse the audit policy given to kube-apiserver --audit-policy-file
(audit.k8s.io/v1 Policy), with the API server's own first-match semantics.

The scan rules audit-policy-* report problems in policies found among
scanned manifests; audit explain shows where each operation lands.
audit watch runs the detection rules over the audit events, read from the
log or received as the API server's webhook backend; audit manifests
prints what runs that backend in a cluster.`,
		Example: `  kguard audit explain /etc/kubernetes/audit-policy.yaml
  kguard audit explain audit-policy.yaml -o json`,
	}
	cmdutil.Group(cmd)
	cmd.AddCommand(newExplainCmd(s, RunExplain))
	cmd.AddCommand(newWatchCmd(s, RunWatch))
	cmd.AddCommand(newManifestsCmd(s, RunManifests))
	return cmd
}

// ExplainOptions are the arguments and flags of `kguard audit explain`.
type ExplainOptions struct {
	cmdutil.Input
	Output string
}

func newExplainCmd(s *cmdutil.Streams, run func(context.Context, *ExplainOptions) error) *cobra.Command {
	o := &ExplainOptions{Input: cmdutil.Input{Streams: s}}
	cmd := &cobra.Command{
		Use:   "explain POLICY_FILE",
		Short: "Show the level at which each sensitive operation is recorded, and by which rule",
		Long: `Evaluate a fixed list of operations (reading Secrets, pods/exec and attach,
port-forward, nodes/proxy, token requests and reviews, RBAC and admission
webhook changes, and a few ordinary requests) against the policy, and print
for each the level it is recorded at, the first matching rule (its index
and line) and the stages omitted. A request matching no rule is not logged
(level None), as is one whose every stage is omitted.

The operations are made by an ordinary user in namespace default. Rules
with users or userGroups are matched against the authenticated user: for
impersonated requests that is the impersonating user. Use - to read the
policy from standard input. The inputs are read like every kguard input
(a directory, or a chart or overlay that renders one Policy, works too);
they must hold exactly one audit.k8s.io Policy.`,
		Example: `  kguard audit explain /etc/kubernetes/audit-policy.yaml
  kguard audit explain audit-policy.yaml -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			return run(cmd.Context(), o)
		},
	}
	o.AddFlags(cmd, cmdutil.InputFlags{What: "the audit policy"})
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	return cmd
}

// RunExplain predicts where each operation lands under the policy.
func RunExplain(ctx context.Context, o *ExplainOptions) error {
	if o.Output != "table" && o.Output != "json" {
		return cmdutil.UsageErrorf("unknown output format %q: want table or json", o.Output)
	}
	if o.Cluster {
		return cmdutil.UsageErrorf("an audit policy is a file given to kube-apiserver, not a cluster object: give its path")
	}
	// Standard input is read here, so that its text can place errors.
	var stdin []byte
	if slices.Contains(o.Paths(), "-") {
		data, err := io.ReadAll(o.Streams.In)
		if err != nil {
			return cmdutil.UsageErrorf("read standard input: %v", err)
		}
		stdin = data
		streams := *o.Streams
		streams.In = bytes.NewReader(data)
		o.Streams = &streams
	}
	res, err := o.Load(ctx)
	if err != nil {
		return err
	}
	if err := o.Partial(res); err != nil {
		return err
	}
	policies := res.Inventory.ByKind(auditpolicy.Group, auditpolicy.Kind)
	if len(policies) != 1 {
		return cmdutil.UsageErrorf("want exactly one %s Policy in the input, found %d", auditpolicy.APIVersion, len(policies))
	}
	obj := policies[0]
	u, ok := obj.Unstructured()
	if !ok {
		return cmdutil.UsageErrorf("%s: not a policy object", obj.Source)
	}
	file, doc := obj.Source.File, singleDocument(obj.Source.File, stdin)
	if file == "-" {
		file = "<stdin>"
	}
	pol, err := auditpolicy.Decode(u.Object, doc)
	if err != nil {
		return policyErrors(file, err)
	}
	return writeExplain(o.Streams.Out, o.Output, file, explain(pol))
}

// singleDocument returns the text of a one-document policy file (for
// lines in messages), or nil when the file holds more or cannot be read.
func singleDocument(file string, stdin []byte) []byte {
	data := stdin
	if file != "-" {
		var err error
		if data, err = os.ReadFile(file); err != nil {
			return nil
		}
	}
	if bytes.Contains(data, []byte("\n---")) {
		return nil
	}
	return data
}

// policyErrors prints every problem as FILE:LINE: MESSAGE.
func policyErrors(file string, err error) error {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	var msgs []string
	for _, e := range errs {
		var pe *auditpolicy.Error
		switch {
		case errors.As(e, &pe) && pe.Line > 0:
			msgs = append(msgs, fmt.Sprintf("%s:%d: %s", file, pe.Line, strings.TrimPrefix(pe.Error(), fmt.Sprintf("line %d: ", pe.Line))))
		default:
			msgs = append(msgs, fmt.Sprintf("%s: %v", file, e))
		}
	}
	return cmdutil.UsageErrorf("invalid audit policy:\n  %s", strings.Join(msgs, "\n  "))
}

type opResult struct {
	Operation  string              `json:"operation"`
	Why        string              `json:"why"`
	Sensitive  bool                `json:"sensitive"`
	Level      auditpolicy.Level   `json:"level"`
	Rule       int                 `json:"rule"`
	RuleLine   int                 `json:"ruleLine,omitempty"`
	OmitStages []auditpolicy.Stage `json:"omitStages"`
	Recorded   bool                `json:"recorded"`
	// LogsSecrets is set when the log holds secret material for it.
	LogsSecrets bool `json:"logsSecrets,omitempty"`
}

type explanation struct {
	Operations []opResult `json:"operations"`
	// Unmatched are requests no rule names (an unknown API group's
	// resource, an unknown URL) and where they land.
	Unmatched []opResult `json:"unmatched"`
}

var stages = []auditpolicy.Stage{auditpolicy.StageRequestReceived, auditpolicy.StageResponseComplete}

func result(pol *auditpolicy.Policy, req auditpolicy.Request) opResult {
	level, omit, i := auditpolicy.Evaluate(pol, req)
	r := opResult{Operation: req.String(), Level: level, Rule: i, OmitStages: omit, Recorded: auditpolicy.Recorded(level, omit, stages)}
	if r.OmitStages == nil {
		r.OmitStages = []auditpolicy.Stage{}
	}
	if i >= 0 {
		r.RuleLine = pol.Rules[i].Line
	}
	return r
}

func explain(pol *auditpolicy.Policy) explanation {
	var ex explanation
	for _, op := range auditpolicy.Operations() {
		r := result(pol, op.Request)
		r.Why, r.Sensitive = op.Why, op.Sensitive
		r.LogsSecrets = op.LeaksAt != "" && r.Recorded && r.Level.AtLeast(op.LeaksAt)
		ex.Operations = append(ex.Operations, r)
	}
	for _, req := range auditpolicy.CatchAllProbes() {
		r := result(pol, req)
		r.Why = "a request no rule names"
		ex.Unmatched = append(ex.Unmatched, r)
	}
	return ex
}

func writeExplain(w io.Writer, format, file string, ex explanation) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"policy": file, "operations": ex.Operations, "unmatched": ex.Unmatched})
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATION\tLEVEL\tRULE\tOMITTED STAGES\tNOTE")
	row := func(r opResult) {
		rule := "none"
		if r.Rule >= 0 {
			rule = fmt.Sprintf("%d", r.Rule)
			if r.RuleLine > 0 {
				rule += fmt.Sprintf(" (line %d)", r.RuleLine)
			}
		}
		var omit []string
		for _, s := range r.OmitStages {
			omit = append(omit, string(s))
		}
		if len(omit) == 0 {
			omit = []string{"-"}
		}
		var notes []string
		if !r.Recorded {
			note := "not logged"
			if r.Sensitive {
				note = "NOT LOGGED (sensitive)"
			}
			if r.Level != auditpolicy.LevelNone {
				note += ": every stage omitted"
			}
			notes = append(notes, note)
		}
		if r.LogsSecrets {
			notes = append(notes, "LOG HOLDS SECRETS")
		}
		if len(notes) == 0 {
			notes = []string{"-"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Operation, r.Level, rule, strings.Join(omit, ","), strings.Join(notes, "; "))
	}
	for _, r := range ex.Operations {
		row(r)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nRequests no rule names (unknown API group, user and URL):")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OPERATION\tLEVEL\tRULE\tOMITTED STAGES\tNOTE")
	for _, r := range ex.Unmatched {
		row(r)
	}
	return tw.Flush()
}
