package auditcmd

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect/alert"
	"github.com/kguard/kguard/internal/detect/watch"
	"github.com/kguard/kguard/internal/inventory"
)

// parseCase is one command line and the Options it must give (edit
// applied to the defaults), or the usage error it must give.
type parseCase[O any] struct {
	name string
	args []string
	edit func(*O)
	err  string
}

func checkParse[O any](t *testing.T, newCmd func(func(context.Context, *O) error) *cobra.Command, defaults func() *O, tests []parseCase[O]) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clitest.Parse(t, newCmd, tt.args...)
			if tt.err != "" {
				if cmdutil.CodeOf(err) != cmdutil.ExitUsage || !strings.Contains(fmt.Sprint(err), tt.err) {
					t.Fatalf("error %v, want a usage error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := defaults()
			tt.edit(want)
			if d := clitest.Diff(want, got); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
		})
	}
}

func TestExplainArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ExplainOptions) error) *cobra.Command { return newExplainCmd(s, run) }
	defaults := func() *ExplainOptions {
		return &ExplainOptions{Input: cmdutil.Input{Streams: s, MaxFileSize: inventory.DefaultMaxFileSize}, Output: "table"}
	}
	checkParse(t, newCmd, defaults, []parseCase[ExplainOptions]{
		{"path", []string{"audit-policy.yaml"}, func(o *ExplainOptions) { o.Args = []string{"audit-policy.yaml"} }, ""},
		{"stdin and json", []string{"-", "-o", "json"}, func(o *ExplainOptions) { o.Args, o.Output = []string{"-"}, "json" }, ""},
		{"shared input flags", []string{"-f", "policy/", "--exclude", "old/", "--values", "v.yaml", "--set", "a=b", "--release", "r", "-n", "ns",
			"--max-file-size", "100", "--allow-partial"},
			func(o *ExplainOptions) {
				o.Files, o.Exclude, o.ValuesFiles, o.Set, o.Release, o.Namespace = []string{"policy/"}, []string{"old/"}, []string{"v.yaml"}, []string{"a=b"}, "r", "ns"
				o.MaxFileSize, o.AllowPartial = 100, true
			}, ""},
		{"cluster flags", []string{"--cluster", "--kubeconfig", "kc", "--context", "prod", "--read-secret-values"},
			func(o *ExplainOptions) {
				o.Cluster, o.Kubeconfig, o.Context, o.ReadSecretValues = true, "kc", "prod", true
			}, ""},
		{"bad size", []string{"--max-file-size", "1MB"}, nil, `invalid argument "1MB" for "--max-file-size"`},
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
	checkParse(t, newCmd, defaults, []parseCase[WatchOptions]{
		{"defaults", nil, func(*WatchOptions) {}, ""},
		{"log", []string{"--log", "audit.log", "--from-start", "--rules", "a.yaml", "--rules", "b.yaml", "-o", "alerts.json", "--rate", "5", "--metrics-addr", ":9090"},
			func(o *WatchOptions) {
				o.LogFile, o.FromStart, o.RuleFiles, o.Output, o.Rate, o.MetricsAddr = "audit.log", true, []string{"a.yaml", "b.yaml"}, "alerts.json", 5, ":9090"
			}, ""},
		{"listen", []string{"--listen", ":8443", "--tls-cert-file", "tls.crt", "--tls-private-key-file", "tls.key", "--client-ca-file", "ca.crt", "--max-body-bytes", "2048"},
			func(o *WatchOptions) {
				o.Listen = ListenOptions{Addr: ":8443", CertFile: "tls.crt", KeyFile: "tls.key", ClientCAFile: "ca.crt", MaxBodyBytes: 2048}
			}, ""},
		{"insecure", []string{"--listen", "127.0.0.1:8080", "--insecure-http"},
			func(o *WatchOptions) { o.Listen.Addr, o.Listen.InsecureHTTP = "127.0.0.1:8080", true }, ""},
		{"alert webhooks", []string{"--alert-webhook", "https://hooks.example/a", "--alert-webhook-format", "slack", "--alert-queue", "3"},
			func(o *WatchOptions) {
				o.Webhooks.URLs, o.Webhooks.Format, o.Webhooks.Queue = []string{"https://hooks.example/a"}, "slack", 3
			}, ""},
		{"no arguments", []string{"audit.log"}, nil, `unknown command "audit.log" for "watch"`},
	})
}

func TestManifestsArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ManifestOptions) error) *cobra.Command { return newManifestsCmd(s, run) }
	defaults := func() *ManifestOptions {
		return &ManifestOptions{Streams: s, Namespace: "kguard-system", Image: cmdutil.DefaultImage(), Replicas: 1, ClientAuth: true, NodeDir: "/etc/kubernetes/kguard"}
	}
	checkParse(t, newCmd, defaults, []parseCase[ManifestOptions]{
		{"defaults", nil, func(*ManifestOptions) {}, ""},
		{"flags", []string{"--namespace", "audit", "--image", "kguard:1", "--replicas", "2", "--service-ip", "10.96.0.50",
			"--client-auth=false", "--api-server-config", "--node-dir", "/etc/k"},
			func(o *ManifestOptions) {
				o.Namespace, o.Image, o.Replicas, o.ServiceIP = "audit", "kguard:1", 2, "10.96.0.50"
				o.ClientAuth, o.APIServerConfig, o.NodeDir = false, true, "/etc/k"
			}, ""},
		{"bool value", []string{"--client-auth=maybe"}, nil, `invalid argument "maybe" for "--client-auth"`},
	})
}
