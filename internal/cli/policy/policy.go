// Package policy implements `kguard policy export`: kguard's rules as
// native admission policies.
package policy

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/policy/vap"
	"github.com/kguard/kguard/internal/rules"
)

// ExportOptions are the flags of `kguard policy export`.
type ExportOptions struct {
	Streams           *cmdutil.Streams
	Format            string
	Action            string
	ExcludeNamespaces []string
}

// NewCmd returns `kguard policy`.
func NewCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error)) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Export kguard's rules as native admission policies",
	}
	o := &ExportOptions{Streams: s}
	export := &cobra.Command{
		Use:   "export",
		Short: "Write ValidatingAdmissionPolicies for every rule that CEL can express",
		Long: `Write admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and
ValidatingAdmissionPolicyBinding objects, one pair per rule that has a CEL
form, so the API server enforces those rules itself with no webhook
(Kubernetes 1.30+). The messages match the webhook's. Rules that need
more than one object, or logic CEL cannot express, are listed on stderr:
enforce those with 'kguard admit'.

Each exported expression is tested against the rule's own fixtures, and
must give the same verdict as the Go rule.`,
		Example: `  kguard policy export --format vap | kubectl apply -f -
  kguard policy export --action warn > kguard-vap.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := reg()
			if err != nil {
				return err
			}
			return RunExport(o, r)
		},
	}
	export.Flags().StringVar(&o.Format, "format", "vap", "output format: vap (ValidatingAdmissionPolicy)")
	export.Flags().StringVar(&o.Action, "action", "deny", "what a violation does: deny, warn or audit (deny and warn also audit; with deny, low and info rules warn)")
	export.Flags().StringSliceVar(&o.ExcludeNamespaces, "exclude-namespaces", []string{"kube-system"}, "namespaces the bindings leave out")
	cmd.AddCommand(export)
	return cmd
}

// RunExport writes the policies.
func RunExport(o *ExportOptions, reg *rules.Registry) error {
	if o.Format != "vap" {
		return cmdutil.UsageErrorf("unknown format %q (want vap)", o.Format)
	}
	action, err := vap.ParseAction(o.Action)
	if err != nil {
		return cmdutil.UsageErrorf("--action: %v", err)
	}
	policies, unsupported, err := vap.Export(reg, vap.Options{Action: action, ExcludeNamespaces: o.ExcludeNamespaces})
	if err != nil {
		return err
	}
	for i, p := range policies {
		for j, obj := range []any{p.Policy, p.Binding} {
			b, err := yaml.Marshal(obj)
			if err != nil {
				return err
			}
			if i > 0 || j > 0 {
				fmt.Fprintln(o.Streams.Out, "---")
			}
			if _, err := o.Streams.Out.Write(b); err != nil {
				return err
			}
		}
	}
	ids := make([]string, 0, len(unsupported))
	for _, r := range unsupported {
		ids = append(ids, r.ID)
	}
	fmt.Fprintf(o.Streams.ErrOut, "exported %d rules as ValidatingAdmissionPolicies; %d need the webhook (kguard admit): %s\n",
		len(policies), len(unsupported), strings.Join(ids, ", "))
	return nil
}
