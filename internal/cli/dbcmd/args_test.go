package dbcmd

import (
	"context"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/vulndb"
)

func TestImportArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	at := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	newCmd := func(run func(context.Context, *ImportOptions) error) *cobra.Command {
		return newImportCmd(Options{Streams: s, Now: at}, run)
	}
	defaults := func() *ImportOptions { return &ImportOptions{Options: Options{Streams: s, Now: at}} }
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[ImportOptions]{
		{Name: "paths", Args: []string{"Debian-all.zip", "advisories/"}, Edit: func(o *ImportOptions) { o.Paths = []string{"Debian-all.zip", "advisories/"} }},
		{Name: "db", Args: []string{"--db", "vulndb", "Go-all.zip"}, Edit: func(o *ImportOptions) { o.DB, o.Paths = "vulndb", []string{"Go-all.zip"} }},
		{Name: "no path", Args: nil, Err: "requires at least 1 arg(s), only received 0"},
	})
}

func TestUpdateArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *UpdateOptions) error) *cobra.Command {
		return newUpdateCmd(Options{Streams: s}, run)
	}
	defaults := func() *UpdateOptions {
		return &UpdateOptions{Options: Options{Streams: s}, URL: vulndb.DefaultExportURL, Ecosystems: vulndb.DefaultEcosystems}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[UpdateOptions]{
		{Name: "defaults"},
		{Name: "mirror", Args: []string{"--url", "https://mirror.example/osv", "--ecosystem", "Go,npm", "--ecosystem", "PyPI", "--db", "d"},
			Edit: func(o *UpdateOptions) {
				o.URL, o.Ecosystems, o.DB = "https://mirror.example/osv", []string{"Go", "npm", "PyPI"}, "d"
			}},
		{Name: "argument", Args: []string{"Go"}, Err: `unknown command "Go" for "update"`},
	})
}

func TestInfoArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *InfoOptions) error) *cobra.Command {
		return newInfoCmd(Options{Streams: s}, run)
	}
	defaults := func() *InfoOptions { return &InfoOptions{Options: Options{Streams: s}, Output: "table"} }
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[InfoOptions]{
		{Name: "defaults"},
		{Name: "json", Args: []string{"-o", "json", "--db", "d"}, Edit: func(o *InfoOptions) { o.Output, o.DB = "json", "d" }},
		{Name: "unknown flag", Args: []string{"--url", "x"}, Err: "unknown flag: --url"},
	})
}
