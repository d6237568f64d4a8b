// Package nodecmd implements `kguard node`. Placeholder: to be written.
package nodecmd

import (
	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// NewCmd returns `kguard node`.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	return &cobra.Command{Use: "node", Short: "Node and control-plane configuration checks (not yet implemented)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return cmdutil.UsageErrorf("not yet implemented") }}
}
