// Package policy implements `kguard policy export`: kguard's rules as
// native admission policies.
package policy

import (
	"context"
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
	Streams  *cmdutil.Streams
	Registry func() (*rules.Registry, error)

	Format            string
	Action            string
	ExcludeNamespaces []string
}

// NewCmd returns `kguard policy`.
func NewCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error)) *cobra.Command {
	cmd := cmdutil.Group(&cobra.Command{
		Use:   "policy",
		Short: "Export kguard's rules as native admission policies",
		Long: `Write kguard's rules in forms the API server enforces by itself, without
the webhook of 'kguard admit'.`,
		Example: `  kguard policy export | kubectl apply -f -`,
	})
	cmd.AddCommand(newExportCmd(s, reg, RunExport))
	return cmd
}

func newExportCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error), run func(context.Context, *ExportOptions) error) *cobra.Command {
	o := &ExportOptions{Streams: s, Registry: reg}
	cmd := &cobra.Command{
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
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", "vap", "output format: vap (ValidatingAdmissionPolicy)")
	f.StringVar(&o.Action, "action", "deny", "what a violation does: deny, warn or audit (deny and warn also audit; with deny, low and info rules warn)")
	f.StringSliceVar(&o.ExcludeNamespaces, "exclude-namespaces", []string{"kube-system"}, "namespaces the bindings leave out")
	return cmd
}

// RunExport writes the policies.
func RunExport(_ context.Context, o *ExportOptions) error {
	if o.Format != "vap" {
		return cmdutil.UsageErrorf("unknown format %q (want vap)", o.Format)
	}
	action, err := vap.ParseAction(o.Action)
	if err != nil {
		return cmdutil.UsageErrorf("--action: %v", err)
	}
	reg, err := o.Registry()
	if err != nil {
		return fmt.Errorf("rule registry: %w", err)
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
