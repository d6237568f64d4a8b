package frameworkscmd

import (
	"context"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

func TestFrameworksArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *Options) error) *cobra.Command { return newCmd(s, nil, run) }
	clitest.ParseCases(t, newCmd, func() *Options { return &Options{Streams: s, Output: "table"} }, []clitest.Case[Options]{
		{Name: "list", Args: nil, Edit: func(*Options) {}},
		{Name: "one framework as JSON", Args: []string{"nsa", "-o", "json"}, Edit: func(o *Options) { o.Name, o.Output = "nsa", "json" }},
		{Name: "two names", Args: []string{"cis", "nsa"}, Err: "accepts at most 1 arg(s), received 2"},
		{Name: "unknown flag", Args: []string{"--bogus"}, Err: "unknown flag: --bogus"},
	})
}
