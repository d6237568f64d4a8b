package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// The argument validators of every kguard command are cobra's, with their
// errors typed as usage errors (UsageError), so that Main recognises them
// by type rather than by their text.

// NoArgs refuses any positional argument.
func NoArgs(cmd *cobra.Command, args []string) error { return UsageError(cobra.NoArgs(cmd, args)) }

// ExactArgs wants exactly n positional arguments.
func ExactArgs(n int) cobra.PositionalArgs { return TypedArgs(cobra.ExactArgs(n)) }

// MinimumNArgs wants at least n positional arguments.
func MinimumNArgs(n int) cobra.PositionalArgs { return TypedArgs(cobra.MinimumNArgs(n)) }

// MaximumNArgs wants at most n positional arguments.
func MaximumNArgs(n int) cobra.PositionalArgs { return TypedArgs(cobra.MaximumNArgs(n)) }

// RangeArgs wants between min and max positional arguments.
func RangeArgs(min, max int) cobra.PositionalArgs { return TypedArgs(cobra.RangeArgs(min, max)) }

// TypedArgs makes the errors of any validator usage errors.
func TypedArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error { return UsageError(v(cmd, args)) }
}

// FlagError is the flag error function of kguard's command tree
// (cobra.Command.SetFlagErrorFunc): unknown flags, missing flag values and
// values that do not parse are usage errors.
func FlagError(_ *cobra.Command, err error) error { return UsageError(err) }

// Group makes cmd a group of subcommands. Alone it prints its help; a word
// after it that names no subcommand is a usage error. (Left to cobra, a
// group below the root would print its help and exit 0 for a mistyped
// subcommand, and the root's error would be an untyped one.)
func Group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2 // cobra's default for its own suggestions
		}
		if near := c.SuggestionsFor(args[0]); len(near) > 0 && !c.DisableSuggestions {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(near, "\n\t")
		}
		return UsageError(errors.New(msg))
	}
	return cmd
}
