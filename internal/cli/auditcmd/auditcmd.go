// Package auditcmd implements `kguard audit`: what an API server audit
// policy records (explain), the detection rules over audit events read
// from the log or received as the API server's webhook backend (watch),
// and the manifests that run that backend in a cluster (manifests).
package auditcmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
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
	cmd.AddCommand(newExplainCmd(s))
	cmd.AddCommand(newWatchCmd(s))
	cmd.AddCommand(newManifestsCmd(s))
	return cmd
}

func newExplainCmd(s *cmdutil.Streams) *cobra.Command {
	var output string
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
policy from standard input.`,
		Example: `  kguard audit explain /etc/kubernetes/audit-policy.yaml
  kguard audit explain audit-policy.yaml -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" {
				return cmdutil.UsageErrorf("unknown output format %q: want table or json", output)
			}
			file := args[0]
			pol, err := load(s, file)
			if err != nil {
				return err
			}
			return writeExplain(s.Out, output, file, explain(pol))
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

// load reads and parses the policy, printing every problem as FILE:LINE:
// MESSAGE.
func load(s *cmdutil.Streams, file string) (*auditpolicy.Policy, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(s.In)
		file = "<stdin>"
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, cmdutil.UsageErrorf("read audit policy: %v", err)
	}
	pol, err := auditpolicy.Parse(data)
	if err == nil {
		return pol, nil
	}
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
	return nil, cmdutil.UsageErrorf("invalid audit policy:\n  %s", strings.Join(msgs, "\n  "))
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
