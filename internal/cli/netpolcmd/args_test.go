package netpolcmd

import (
	"context"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/netpol"
)

// netpolInput is the shared input of the netpol commands with no flag given: a
// cluster is read whole, since reachability into a namespace depends on
// the pods of every other.
func netpolInput(s *cmdutil.Streams) Input {
	in := Input{clitest.InputDefaults(s)}
	in.ReadAllNamespaces = true
	return in
}

func TestCanArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *CanOptions) error) *cobra.Command { return newCanCmd(s, run) }
	defaults := func() *CanOptions { return &CanOptions{Input: netpolInput(s)} }
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[CanOptions]{
		{Name: "from and to", Args: []string{"shop/frontend", "shop/api"}, Edit: func(o *CanOptions) { o.From, o.To = "shop/frontend", "shop/api" }},
		{Name: "paths, port, namespace", Args: []string{"203.0.113.7", "frontend", "deploy/", "--port", "8080/TCP", "-n", "shop", "-f", "np.yaml"},
			Edit: func(o *CanOptions) {
				o.From, o.To, o.Args, o.Port, o.Namespace, o.Files = "203.0.113.7", "frontend", []string{"deploy/"}, "8080/TCP", "shop", []string{"np.yaml"}
			}},
		{Name: "cluster", Args: []string{"a/b", "c/d", "--cluster", "--context", "prod"},
			Edit: func(o *CanOptions) { o.From, o.To, o.Cluster, o.Context = "a/b", "c/d", true, "prod" }},
		{Name: "one endpoint", Args: []string{"shop/frontend"}, Err: "requires at least 2 arg(s), only received 1"},
	})
}

func TestMatrixArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *MatrixOptions) error) *cobra.Command { return newMatrixCmd(s, run) }
	defaults := func() *MatrixOptions { return &MatrixOptions{Input: netpolInput(s), Output: "table"} }
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[MatrixOptions]{
		{Name: "defaults"},
		{Name: "html of a namespace", Args: []string{"-n", "shop", "-o", "html", "-f", "deploy/", "more/"},
			Edit: func(o *MatrixOptions) {
				o.Namespace, o.Output, o.Files, o.Args = "shop", "html", []string{"deploy/"}, []string{"more/"}
			}},
		{Name: "unknown flag", Args: []string{"--port", "80"}, Err: "unknown flag: --port"},
	})
}

func TestGenerateArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *GenerateOptions) error) *cobra.Command { return newGenerateCmd(s, run) }
	defaults := func() *GenerateOptions {
		return &GenerateOptions{Input: netpolInput(s), IngressNamespace: netpol.DefaultIngressNamespace}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[GenerateOptions]{
		{Name: "defaults"},
		{Name: "flags", Args: []string{"deploy/", "-n", "shop", "--ingress-namespace", "nginx", "--allow-partial"},
			Edit: func(o *GenerateOptions) {
				o.Args, o.Namespace, o.IngressNamespace, o.AllowPartial = []string{"deploy/"}, "shop", "nginx", true
			}},
	})
}
