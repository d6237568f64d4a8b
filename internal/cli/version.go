package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/version"
)

// VersionOptions are the flags of `kguard version` (none).
type VersionOptions struct {
	Streams *cmdutil.Streams
}

func newVersionCmd(s *cmdutil.Streams, run func(context.Context, *VersionOptions) error) *cobra.Command {
	o := &VersionOptions{Streams: s}
	return &cobra.Command{
		Use:     "version",
		Short:   "Print kguard's version, commit and build date",
		Example: "  kguard version",
		Args:    cmdutil.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
}

// RunVersion prints the version, the commit and the build date.
func RunVersion(_ context.Context, o *VersionOptions) error {
	_, err := fmt.Fprint(o.Streams.Out, version.Get())
	return err
}
