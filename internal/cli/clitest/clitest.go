// Package clitest runs kguard commands in tests: whole commands on
// in-memory streams (Run), and constructors alone, to see the Options
// they make of a command line (Parse).
package clitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
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
	cmd.SetFlagErrorFunc(cmdutil.FlagError)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	msg := errOut.String()
	if err != nil {
		msg += err.Error()
	}
	return out.String(), msg, cmdutil.CodeOf(err)
}

// Parse builds a command with newCmd, handing it a run function that
// only records the Options it is given, executes it with args and returns
// those Options: what the constructor made of the command line, with
// nothing run. The error is the constructor's (a flag or argument error);
// when there is one, the Options are nil.
func Parse[O any](t testing.TB, newCmd func(run func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	var got *O
	cmd := newCmd(func(_ context.Context, o *O) error {
		got = o
		return nil
	})
	var discard bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetOut(&discard)
	cmd.SetErr(&discard)
	cmd.SetFlagErrorFunc(cmdutil.FlagError)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err != nil {
		return nil, err
	}
	if got == nil {
		t.Fatalf("%s %v: the run function was not called", cmd.CommandPath(), args)
	}
	return got, nil
}

// Case is one command line for ParseCases: Edit applied to the defaults
// gives the Options it must make, or, when Err is set, it must fail with a
// usage error holding Err.
type Case[O any] struct {
	Name string
	Args []string
	Edit func(*O)
	Err  string
}

// ParseCases runs Parse for every case and compares the Options made with
// the expected ones (Diff).
func ParseCases[O any](t *testing.T, newCmd func(run func(context.Context, *O) error) *cobra.Command, defaults func() *O, cases []Case[O]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := Parse(t, newCmd, c.Args...)
			if c.Err != "" {
				var ee *cmdutil.ExitError
				if !errors.As(err, &ee) || !ee.Usage || !strings.Contains(fmt.Sprint(err), c.Err) {
					t.Fatalf("%v: error %v, want a usage error with %q", c.Args, err, c.Err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %v", c.Args, err)
			}
			want := defaults()
			if c.Edit != nil {
				c.Edit(want)
			}
			if d := Diff(want, got); d != "" {
				t.Errorf("%v: options (-want +got):\n%s", c.Args, d)
			}
		})
	}
}

// Diff compares Options field by field, unexported fields included, and
// returns "" when they are equal or a readable difference (-want +got).
// A nil and an empty slice are equal (cobra hands no arguments as an empty
// slice). Functions (a registry constructor, a test hook) cannot be
// compared and are left out: check them separately where it matters.
func Diff(want, got any) string {
	return cmp.Diff(want, got, cmpopts.EquateEmpty(),
		cmp.Exporter(func(reflect.Type) bool { return true }),
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().Type().Kind() == reflect.Func }, cmp.Ignore()),
	)
}

// InputDefaults are the shared input flags (cmdutil.Input) of a command
// line that gives none, written out once for every command's argv tests.
func InputDefaults(s *cmdutil.Streams) cmdutil.Input {
	return cmdutil.Input{Streams: s, MaxFileSize: inventory.DefaultMaxFileSize}
}

// RBACInputDefaults are InputDefaults for a command whose answers depend
// on RBAC (cmdutil.InputFlags.BuiltinRBAC): files get the built-in policy
// unless --no-builtin-rbac is given.
func RBACInputDefaults(s *cmdutil.Streams) cmdutil.Input {
	in := InputDefaults(s)
	in.BuiltinRBAC = true
	return in
}

// ReportDefaults are the shared report flags (cmdutil.Report) of a
// command line that gives none.
func ReportDefaults() cmdutil.Report {
	return cmdutil.Report{Output: "table", GroupBy: "resource", Color: "auto"}
}
