package rbaccmd

import (
	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// newTightenCmd is `kguard rbac tighten` (least privilege from an audit
// log). Stub: to be written.
func newTightenCmd(s *cmdutil.Streams) *cobra.Command {
	return &cobra.Command{Use: "tighten", Short: "Least privilege from an audit log (not yet implemented)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return cmdutil.UsageErrorf("not yet implemented") }}
}
