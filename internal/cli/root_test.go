package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

func runMain(args ...string) (stdout, stderr string, code int) {
	var out, errOut bytes.Buffer
	code = Main(context.Background(), args, &cmdutil.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

// TestMainErrors: mistakes in the command line exit 2 and point to the
// --help of the command they were made in; other errors (an input that
// cannot be read, a rule that does not exist) exit 2 without that line.
func TestMainErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
		// hint is the command whose --help is pointed to; "" for none.
		hint string
	}{
		{[]string{"bogus"}, 2, `unknown command "bogus" for "kguard"`, "kguard"},
		{[]string{"scna"}, 2, "Did you mean this?\n\tscan", "kguard"},
		{[]string{"rbac", "bogus"}, 2, `unknown command "bogus" for "kguard rbac"`, "kguard rbac"},
		{[]string{"audit", "wacth"}, 2, "Did you mean this?\n\twatch", "kguard audit"},
		{[]string{"scan", "--bogus", "x.yaml"}, 2, "unknown flag: --bogus", "kguard scan"},
		{[]string{"rbac", "who-can", "-z"}, 2, "unknown shorthand flag: 'z' in -z", "kguard rbac who-can"},
		{[]string{"rules", "explain"}, 2, "accepts 1 arg(s), received 0", "kguard rules explain"},
		{[]string{"rbac", "can-i", "user:a", "get"}, 2, "requires at least 3 arg(s), only received 2", "kguard rbac can-i"},
		{[]string{"version", "x"}, 2, `unknown command "x" for "kguard version"`, "kguard version"},
		{[]string{"admit", "bench", "--rate", "many"}, 2, `invalid argument "many" for "--rate"`, "kguard admit bench"},
		{[]string{"scan", "--as-of", "yesterday", "x.yaml"}, 2, `invalid argument "yesterday" for "--as-of"`, "kguard scan"},
		{[]string{"scan", "--output"}, 2, "flag needs an argument: --output", "kguard scan"},
		{[]string{"completion", "tcsh"}, 2, `unknown command "tcsh" for "kguard completion"`, "kguard completion"},
		{[]string{"completion", "bash", "x"}, 2, `unknown command "x" for "kguard completion bash"`, "kguard completion bash"},
		// Not command-line mistakes: no pointer to --help.
		{[]string{"scan", "/does/not/exist.yaml"}, 2, "/does/not/exist.yaml", ""},
		{[]string{"rules", "explain", "no-such-rule"}, 2, `no rule "no-such-rule"`, ""},
		{[]string{"scan", "-o", "xml", "-"}, 2, `unknown output format "xml"`, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, stderr, code := runMain(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
			}
			hints := strings.Count(stderr, "--help' for usage.")
			switch {
			case tt.hint == "" && hints > 0:
				t.Errorf("an input error points to --help:\n%s", stderr)
			case tt.hint != "" && (hints != 1 || !strings.HasSuffix(stderr, "Run '"+tt.hint+" --help' for usage.\n")):
				t.Errorf("stderr does not end with Run '%s --help' for usage.:\n%s", tt.hint, stderr)
			}
		})
	}
}

// TestMainHelp: a group alone, or the root alone, prints its help and
// exits 0; --help too.
func TestMainHelp(t *testing.T) {
	for _, args := range [][]string{nil, {"rbac"}, {"--help"}, {"scan", "--help"}, {"help", "netpol"}} {
		stdout, stderr, code := runMain(args...)
		if code != 0 || !strings.Contains(stdout, "Usage:") || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", args, code, stderr, stdout)
		}
	}
	stdout, _, code := runMain("version")
	if code != 0 || !strings.HasPrefix(stdout, "kguard ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

// walk calls f for cmd and every command below it.
func walk(cmd *cobra.Command, f func(*cobra.Command)) {
	f(cmd)
	for _, c := range cmd.Commands() {
		walk(c, f)
	}
}

// tree is the command tree as users see it, cobra's help command included.
func tree() *cobra.Command {
	root := NewRootCmd(&cmdutil.Streams{In: strings.NewReader(""), Out: new(bytes.Buffer), ErrOut: new(bytes.Buffer)})
	root.InitDefaultHelpCmd()
	return root
}

// TestCommandsDocumented: every command says what it does (Short) and
// more (Long or Example), and every flag has help text.
func TestCommandsDocumented(t *testing.T) {
	n := 0
	walk(tree(), func(c *cobra.Command) {
		n++
		if strings.TrimSpace(c.Short) == "" {
			t.Errorf("%s: no Short", c.CommandPath())
		}
		if strings.TrimSpace(c.Long) == "" && strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s: neither Long nor Example", c.CommandPath())
		}
		for _, fs := range []*pflag.FlagSet{c.LocalFlags(), c.InheritedFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if strings.TrimSpace(f.Usage) == "" {
					t.Errorf("%s --%s: no help text", c.CommandPath(), f.Name)
				}
			})
		}
	})
	// The tree is walked: a broken walk would pass vacuously.
	if n < 30 {
		t.Errorf("walked %d commands; the tree has more", n)
	}
}

// TestArgErrorsTyped: every argument validator in the tree gives usage
// errors (so Main points to --help by type, not by message text).
func TestArgErrorsTyped(t *testing.T) {
	many := make([]string, 64)
	for i := range many {
		many[i] = "x"
	}
	failures := 0
	walk(tree(), func(c *cobra.Command) {
		if c.Args == nil {
			return
		}
		for _, args := range [][]string{nil, many} {
			err := c.Args(c, args)
			if err == nil {
				continue
			}
			failures++
			var ee *cmdutil.ExitError
			if !errors.As(err, &ee) || !ee.Usage || ee.Code != cmdutil.ExitUsage {
				t.Errorf("%s with %d args: %T %v is not a usage error", c.CommandPath(), len(args), err, err)
			}
		}
	})
	// Commands with fixed arguments exist, so some calls fail: the check
	// above ran.
	if failures < 10 {
		t.Errorf("only %d validator errors seen", failures)
	}
}

// TestVersionCommand: `kguard version` prints the version, the commit and
// the date, one per line (their values are tested in internal/version).
func TestVersionCommand(t *testing.T) {
	out, errOut, code := clitest.Run(t, NewRootCmd, "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, prefix := range []string{"kguard ", "commit: ", "date: ", "go: "} {
		if i >= len(lines) || !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("line %d of %q does not start with %q", i+1, out, prefix)
		}
	}
	if _, _, code := clitest.Run(t, NewRootCmd, "version", "extra"); code != 2 {
		t.Errorf("version with an argument: exit %d, want 2", code)
	}
}
