// Package cli builds kguard's command tree. main calls Main and nothing
// else; each verb group lives in its own package with an Options struct and
// a run function that tests call directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/admit"
	"github.com/kguard/kguard/internal/cli/auditcmd"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/cli/dbcmd"
	"github.com/kguard/kguard/internal/cli/drcmd"
	"github.com/kguard/kguard/internal/cli/imagescmd"
	"github.com/kguard/kguard/internal/cli/netpolcmd"
	"github.com/kguard/kguard/internal/cli/nodecmd"
	"github.com/kguard/kguard/internal/cli/policy"
	"github.com/kguard/kguard/internal/cli/rbaccmd"
	"github.com/kguard/kguard/internal/cli/rulescmd"
	scancmd "github.com/kguard/kguard/internal/cli/scan"
	"github.com/kguard/kguard/internal/cli/sensorcmd"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/version"
)

// NewRootCmd builds the whole command tree over the given streams.
func NewRootCmd(s *cmdutil.Streams) *cobra.Command {
	reg := registryOnce()
	root := &cobra.Command{
		Use:   "kguard",
		Short: "Find, explain and enforce Kubernetes security problems",
		Long: `kguard checks Kubernetes manifests and clusters against security practice:
Pod Security Standards and container hardening, images, namespace
isolation, deprecated APIs, RBAC, network policies, secrets, TLS and
exposure. One engine serves the scanner, the admission webhook and the
in-cluster mode, so what CI reports and what the cluster rejects agree.
At run time it watches too: API server audit events (kguard audit watch)
and processes, files and connections on nodes (kguard sensor, eBPF).`,
		Example: `  kguard scan examples/                 # scan a folder of manifests
  kguard scan -o sarif deploy/ > k.sarif # SARIF for GitHub code scanning
  kguard rules                           # list every rule
  kguard rules explain pss-baseline-privileged`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addProfileFlags(root)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.AddCommand(
		scancmd.NewCmd(s, reg),
		rulescmd.NewCmd(s, reg),
		admit.NewCmd(s, reg),
		policy.NewCmd(s, reg),
		rbaccmd.NewCmd(s),
		auditcmd.NewCmd(s),
		drcmd.NewCmd(s),
		nodecmd.NewCmd(s, reg),
		netpolcmd.NewCmd(s),
		sensorcmd.NewCmd(s),
		imagescmd.NewCmd(s),
		dbcmd.NewCmd(s),
		newVersionCmd(s),
	)
	return root
}

// registryOnce builds the default registry on first use, so commands that
// do not need it (version, help) do not pay for it.
func registryOnce() func() (*rules.Registry, error) {
	var (
		reg  *rules.Registry
		err  error
		done bool
	)
	return func() (*rules.Registry, error) {
		if !done {
			reg, err = all.Registry()
			done = true
		}
		return reg, err
	}
}

func newVersionCmd(s *cmdutil.Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print kguard's version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(s.Out, version.Get())
			return err
		},
	}
}

// Main runs kguard with args (without the program name) and returns the
// process exit status.
func Main(ctx context.Context, args []string, s *cmdutil.Streams) int {
	root := NewRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) || ee.Err != nil {
		fmt.Fprintf(s.ErrOut, "error: %v\n", err)
	}
	if !errors.As(err, &ee) && isUsage(err) {
		fmt.Fprintln(s.ErrOut, "Run 'kguard --help' for usage.")
	}
	return cmdutil.CodeOf(err)
}

// isUsage recognises cobra's own argument and flag errors.
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "flag needs", "accepts ", "requires ", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
