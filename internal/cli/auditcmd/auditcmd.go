// Package auditcmd implements `kguard audit`. Placeholder: to be written.
package auditcmd

import (
	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// NewCmd returns `kguard audit`.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	return &cobra.Command{Use: "audit", Short: "Audit policy analysis (not yet implemented)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return cmdutil.UsageErrorf("not yet implemented") }}
}
