// Package clitest runs kguard commands in tests.
package clitest

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// Run builds a command with newCmd over in-memory streams, runs it with
// args, and returns standard output, standard error (with the returned
// error's text appended) and the exit status kguard would use.
func Run(t testing.TB, newCmd func(*cmdutil.Streams) *cobra.Command, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newCmd(&cmdutil.Streams{Out: &out, ErrOut: &errOut})
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	msg := errOut.String()
	if err != nil {
		msg += err.Error()
	}
	return out.String(), msg, cmdutil.CodeOf(err)
}
