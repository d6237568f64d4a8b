package auditcmd

import (
	"context"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect/alert"
	"github.com/kguard/kguard/internal/detect/watch"
)

func TestExplainArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ExplainOptions) error) *cobra.Command { return newExplainCmd(s, run) }
	defaults := func() *ExplainOptions { return &ExplainOptions{Input: clitest.InputDefaults(s), Output: "table"} }
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[ExplainOptions]{
		{Name: "path", Args: []string{"audit-policy.yaml"}, Edit: func(o *ExplainOptions) { o.Args = []string{"audit-policy.yaml"} }},
		{Name: "stdin and json", Args: []string{"-", "-o", "json"}, Edit: func(o *ExplainOptions) { o.Args, o.Output = []string{"-"}, "json" }},
		{Name: "shared input flags", Args: []string{"-f", "policy/", "--exclude", "old/", "--values", "v.yaml", "--set", "a=b", "--release", "r", "-n", "ns",
			"--max-file-size", "100", "--allow-partial"},
			Edit: func(o *ExplainOptions) {
				o.Files, o.Exclude, o.ValuesFiles, o.Set, o.Release, o.Namespace = []string{"policy/"}, []string{"old/"}, []string{"v.yaml"}, []string{"a=b"}, "r", "ns"
				o.MaxFileSize, o.AllowPartial = 100, true
			}},
		{Name: "cluster flags", Args: []string{"--cluster", "--kubeconfig", "kc", "--context", "prod", "--read-secret-values"},
			Edit: func(o *ExplainOptions) {
				o.Cluster, o.Kubeconfig, o.Context, o.ReadSecretValues = true, "kc", "prod", true
			}},
		{Name: "bad size", Args: []string{"--max-file-size", "1MB"}, Err: `invalid argument "1MB" for "--max-file-size"`},
	})
}

func TestWatchArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *WatchOptions) error) *cobra.Command { return newWatchCmd(s, run) }
	defaults := func() *WatchOptions {
		return &WatchOptions{Streams: s, Rate: watch.DefaultRatePerMinute,
			Webhooks: alert.WebhookFlags{Format: alert.FormatJSON, Queue: alert.DefaultWebhookQueue},
			Listen:   ListenOptions{MaxBodyBytes: watch.DefaultWebhookMaxBodyBytes}}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[WatchOptions]{
		{Name: "defaults"},
		{Name: "log", Args: []string{"--log", "audit.log", "--from-start", "--rules", "a.yaml", "--rules", "b.yaml", "-o", "alerts.json", "--rate", "5", "--metrics-addr", ":9090"},
			Edit: func(o *WatchOptions) {
				o.LogFile, o.FromStart, o.RuleFiles, o.Output, o.Rate, o.MetricsAddr = "audit.log", true, []string{"a.yaml", "b.yaml"}, "alerts.json", 5, ":9090"
			}},
		{Name: "listen", Args: []string{"--listen", ":8443", "--tls-cert-file", "tls.crt", "--tls-private-key-file", "tls.key", "--client-ca-file", "ca.crt", "--max-body-bytes", "2048"},
			Edit: func(o *WatchOptions) {
				o.Listen = ListenOptions{Addr: ":8443", CertFile: "tls.crt", KeyFile: "tls.key", ClientCAFile: "ca.crt", MaxBodyBytes: 2048}
			}},
		{Name: "insecure", Args: []string{"--listen", "127.0.0.1:8080", "--insecure-http"},
			Edit: func(o *WatchOptions) { o.Listen.Addr, o.Listen.InsecureHTTP = "127.0.0.1:8080", true }},
		{Name: "alert webhooks", Args: []string{"--alert-webhook", "https://hooks.example/a", "--alert-webhook-format", "slack", "--alert-queue", "3"},
			Edit: func(o *WatchOptions) {
				o.Webhooks.URLs, o.Webhooks.Format, o.Webhooks.Queue = []string{"https://hooks.example/a"}, "slack", 3
			}},
		{Name: "no arguments", Args: []string{"audit.log"}, Err: `unknown command "audit.log" for "watch"`},
	})
}

func TestManifestsArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ManifestOptions) error) *cobra.Command { return newManifestsCmd(s, run) }
	defaults := func() *ManifestOptions {
		return &ManifestOptions{Streams: s, Namespace: "kguard-system", Image: cmdutil.DefaultImage(), Replicas: 1, ClientAuth: true, NodeDir: "/etc/kubernetes/kguard"}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[ManifestOptions]{
		{Name: "defaults"},
		{Name: "flags", Args: []string{"--namespace", "audit", "--image", "kguard:1", "--replicas", "2", "--service-ip", "10.96.0.50",
			"--client-auth=false", "--api-server-config", "--node-dir", "/etc/k"},
			Edit: func(o *ManifestOptions) {
				o.Namespace, o.Image, o.Replicas, o.ServiceIP = "audit", "kguard:1", 2, "10.96.0.50"
				o.ClientAuth, o.APIServerConfig, o.NodeDir = false, true, "/etc/k"
			}},
		{Name: "bool value", Args: []string{"--client-auth=maybe"}, Err: `invalid argument "maybe" for "--client-auth"`},
	})
}
