package rbaccmd

import (
	"context"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

func TestWhoCanArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *WhoCanOptions) error) *cobra.Command { return newWhoCanCmd(s, run) }
	defaults := func() *WhoCanOptions {
		return &WhoCanOptions{Input: Input{clitest.RBACInputDefaults(s)}, Output: "table"}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[WhoCanOptions]{
		{Name: "request", Args: []string{"get", "secrets", "-n", "shop", "deploy/"},
			Edit: func(o *WhoCanOptions) {
				o.Verb, o.Resource, o.Namespace, o.Args = "get", "secrets", "shop", []string{"deploy/"}
			}},
		{Name: "name, subresource, json", Args: []string{"create", "pods", "--name", "web-0", "--subresource", "exec", "-o", "json", "--cluster"},
			Edit: func(o *WhoCanOptions) {
				o.Verb, o.Resource, o.Output, o.Cluster = "create", "pods", "json", true
				o.Request = RequestFlags{Name: "web-0", Subresource: "exec"}
			}},
		{Name: "built-in policy and version", Args: []string{"get", "secrets", "--no-builtin-rbac", "--target-version", "1.36"},
			Edit: func(o *WhoCanOptions) {
				o.Verb, o.Resource, o.BuiltinRBAC, o.KubeVersion = "get", "secrets", false, "1.36"
			}},
		{Name: "built-in policy kept", Args: []string{"get", "secrets", "--no-builtin-rbac=false"},
			Edit: func(o *WhoCanOptions) { o.Verb, o.Resource = "get", "secrets" }},
		{Name: "verb only", Args: []string{"get"}, Err: "requires at least 2 arg(s), only received 1"},
	})
}

func TestCanIArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *CanIOptions) error) *cobra.Command { return newCanICmd(s, run) }
	defaults := func() *CanIOptions { return &CanIOptions{Input: Input{clitest.RBACInputDefaults(s)}} }
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[CanIOptions]{
		{Name: "request", Args: []string{"serviceaccount:shop:web", "list", "secrets", "-n", "shop", "-f", "deploy/"},
			Edit: func(o *CanIOptions) {
				o.Subject, o.Verb, o.Resource, o.Namespace, o.Files = "serviceaccount:shop:web", "list", "secrets", "shop", []string{"deploy/"}
			}},
		{Name: "name", Args: []string{"user:alice", "get", "configmaps", "--name", "app", "a.yaml"},
			Edit: func(o *CanIOptions) {
				o.Subject, o.Verb, o.Resource, o.Args, o.Request.Name = "user:alice", "get", "configmaps", []string{"a.yaml"}, "app"
			}},
		{Name: "no resource", Args: []string{"user:alice", "get"}, Err: "requires at least 3 arg(s), only received 2"},
	})
}

func TestPermissionsArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *PermissionsOptions) error) *cobra.Command {
		return newPermissionsCmd(s, run)
	}
	defaults := func() *PermissionsOptions {
		return &PermissionsOptions{Input: Input{clitest.RBACInputDefaults(s)}, Output: "table"}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[PermissionsOptions]{
		{Name: "subject", Args: []string{"group:devs", "--cluster", "-o", "json"},
			Edit: func(o *PermissionsOptions) { o.Subject, o.Cluster, o.Output = "group:devs", true, "json" }},
		{Name: "no subject", Args: nil, Err: "requires at least 1 arg(s), only received 0"},
	})
}

func TestPathsArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *PathsOptions) error) *cobra.Command { return newPathsCmd(s, run) }
	defaults := func() *PathsOptions {
		return &PathsOptions{Input: Input{clitest.RBACInputDefaults(s)}, Output: "table"}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[PathsOptions]{
		{Name: "defaults"},
		{Name: "paths only", Args: []string{"deploy/", "more/"}, Edit: func(o *PathsOptions) { o.Args = []string{"deploy/", "more/"} }},
		{Name: "subject first", Args: []string{"serviceaccount:shop:ci", "deploy/", "-o", "dot"},
			Edit: func(o *PathsOptions) {
				o.Subject, o.Args, o.Output = "serviceaccount:shop:ci", []string{"deploy/"}, "dot"
			}},
	})
}

func TestTightenArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *TightenOptions) error) *cobra.Command { return newTightenCmd(s, run) }
	defaults := func() *TightenOptions {
		return &TightenOptions{Input: Input{clitest.RBACInputDefaults(s)}, Output: "yaml"}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[TightenOptions]{
		{Name: "defaults"},
		{Name: "logs and subject", Args: []string{"--audit-log", "audit.log", "--audit-log", "old.log.gz", "--subject", "user:alice", "-o", "json", "-f", "deploy/"},
			Edit: func(o *TightenOptions) {
				o.AuditLogs, o.Subject, o.Output, o.Files = []string{"audit.log", "old.log.gz"}, "user:alice", "json", []string{"deploy/"}
			}},
		{Name: "no built-in policy", Args: []string{"--audit-log", "a.log", "--no-builtin-rbac", "deploy/"},
			Edit: func(o *TightenOptions) {
				o.AuditLogs, o.BuiltinRBAC, o.Args = []string{"a.log"}, false, []string{"deploy/"}
			}},
		{Name: "cluster", Args: []string{"--audit-log", "-", "--cluster"},
			Edit: func(o *TightenOptions) { o.AuditLogs, o.Cluster = []string{"-"}, true }},
	})
}
