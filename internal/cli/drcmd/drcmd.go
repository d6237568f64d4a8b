// Package drcmd implements `kguard dr`. Placeholder: to be written.
package drcmd

import (
	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// NewCmd returns `kguard dr`.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	return &cobra.Command{Use: "dr", Short: "Backup and disaster-recovery report (not yet implemented)", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return cmdutil.UsageErrorf("not yet implemented") }}
}
