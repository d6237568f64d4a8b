package drcmd

import (
	"context"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

func TestReportArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ReportOptions) error) *cobra.Command { return newReportCmd(s, run) }
	defaults := func() *ReportOptions { return &ReportOptions{Input: clitest.InputDefaults(s), Output: "table"} }
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[ReportOptions]{
		{Name: "defaults"},
		{Name: "files", Args: []string{"velero/", "deploy/", "-o", "json", "--as-of", "2026-03-01T12:00:00Z"},
			Edit: func(o *ReportOptions) {
				o.Args, o.Output, o.AsOf = []string{"velero/", "deploy/"}, "json", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			}},
		{Name: "cluster", Args: []string{"--cluster", "--kubeconfig", "kc", "-n", "shop"},
			Edit: func(o *ReportOptions) { o.Cluster, o.Kubeconfig, o.Namespace = true, "kc", "shop" }},
		{Name: "bad date", Args: []string{"--as-of", "01/03/2026"}, Err: `invalid argument "01/03/2026" for "--as-of"`},
	})
}
