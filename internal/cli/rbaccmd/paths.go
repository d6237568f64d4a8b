package rbaccmd

import (
	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// newPathsCmd is `kguard rbac paths` (escalation paths). Stub: to be written.
func newPathsCmd(s *cmdutil.Streams) *cobra.Command {
	return &cobra.Command{Use: "paths", Short: "Escalation paths to cluster-admin (not yet implemented)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return cmdutil.UsageErrorf("not yet implemented") }}
}
