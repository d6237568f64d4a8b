// Package cli builds kguard's command tree. main calls Main and nothing
// else; each verb group lives in its own package, where every command is
// an exported Options struct, a newXCmd constructor that only turns argv
// into Options, and a RunX(ctx, *Options) function that does the work and
// that tests call directly. docs/cli/ is generated from this tree
// (internal/cli/clidoc).
package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/admit"
	"github.com/kguard/kguard/internal/cli/auditcmd"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/cli/dbcmd"
	"github.com/kguard/kguard/internal/cli/drcmd"
	"github.com/kguard/kguard/internal/cli/frameworkscmd"
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
	cmdutil.Group(root)
	root.SetFlagErrorFunc(cmdutil.FlagError)
	addProfileFlags(root)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.ErrOut)
	root.AddCommand(
		scancmd.NewCmd(s, reg),
		rulescmd.NewCmd(s, reg),
		frameworkscmd.NewCmd(s, reg),
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
		newVersionCmd(s, RunVersion),
	)
	// The completion command is cobra's; adding it now rather than at
	// Execute puts it in the tree the reference docs and tests walk, and
	// types its argument errors like every other command's.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		cmdutil.Group(c)
		for _, shell := range c.Commands() {
			if shell.Args != nil {
				shell.Args = cmdutil.TypedArgs(shell.Args)
			}
		}
	}
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

// Main runs kguard with args (without the program name) and returns the
// process exit status. Errors are told apart by type: an *ExitError
// carries its status, and one marked Usage (a mistake in the command line
// itself) is followed by where to read the command's usage.
func Main(ctx context.Context, args []string, s *cmdutil.Streams) int {
	root := NewRootCmd(s)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	var ee *cmdutil.ExitError
	exit := errors.As(err, &ee)
	if !exit || ee.Err != nil {
		fmt.Fprintf(s.ErrOut, "error: %v\n", err)
	}
	if exit && ee.Usage {
		path := root.CommandPath()
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(s.ErrOut, "Run '%s --help' for usage.\n", path)
	}
	return cmdutil.CodeOf(err)
}
