package sensorcmd

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect/alert"
)

func TestSensorArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *Options) error) *cobra.Command { return newSensorCmd(s, run) }
	defaults := func() *Options {
		return &Options{Streams: s, Rate: alert.DefaultRatePerMinute, ProcRoot: "/proc",
			Webhooks: alert.WebhookFlags{Format: alert.FormatJSON, Queue: alert.DefaultWebhookQueue}}
	}
	tests := []struct {
		name string
		args []string
		edit func(*Options)
		err  string
	}{
		{"defaults", nil, func(*Options) {}, ""},
		{"rules and output", []string{"--rules", "a.yaml", "--rules", "b.yaml", "-o", "/var/log/alerts.json", "--rate", "0", "--metrics-addr", ":9464"},
			func(o *Options) {
				o.RuleFiles, o.Output, o.Rate, o.MetricsAddr = []string{"a.yaml", "b.yaml"}, "/var/log/alerts.json", 0, ":9464"
			}, ""},
		{"enforcement and paths", []string{"--enforce", "--deny-connect", "169.254.169.254:80", "--deny-connect", "10.0.0.1:0",
			"--watch-path", "/srv/secrets/", "--watch-path", "/etc/:writes", "--no-default-watch-paths"},
			func(o *Options) {
				o.Enforce, o.Deny = true, []string{"169.254.169.254:80", "10.0.0.1:0"}
				o.WatchPaths, o.NoDefaults = []string{"/srv/secrets/", "/etc/:writes"}, true
			}, ""},
		{"api and host", []string{"--node-name", "n1", "--kubeconfig", "kc", "--context", "prod", "--no-api", "--proc-root", "/host/proc",
			"--cgroup-root", "/host/sys/fs/cgroup", "--fail-hook", "network"},
			func(o *Options) {
				o.NodeName, o.Kubeconfig, o.Context, o.NoAPI = "n1", "kc", "prod", true
				o.ProcRoot, o.CgroupRoot, o.FailHooks = "/host/proc", "/host/sys/fs/cgroup", []string{"network"}
			}, ""},
		{"alert webhooks", []string{"--alert-webhook", "https://a.example/h", "--alert-webhook-format", "slack",
			"--alert-webhook-header", "Authorization: Bearer x", "--alert-webhook-ca-file", "ca.pem", "--alert-queue", "10"},
			func(o *Options) {
				o.Webhooks = alert.WebhookFlags{URLs: []string{"https://a.example/h"}, Format: "slack", Headers: []string{"Authorization: Bearer x"}, CAFile: "ca.pem", Queue: 10}
			}, ""},
		{"no arguments", []string{"now"}, nil, `unknown command "now" for "sensor"`},
		{"rate not a number", []string{"--rate", "lots"}, nil, `invalid argument "lots" for "--rate"`},
	}
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

func TestManifestsArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ManifestOptions) error) *cobra.Command { return newManifestsCmd(s, run) }
	got, err := clitest.Parse(t, newCmd)
	if err != nil {
		t.Fatal(err)
	}
	want := &ManifestOptions{Streams: s, Namespace: "kguard-sensor", Image: cmdutil.DefaultImage(), Seccomp: "RuntimeDefault"}
	if d := clitest.Diff(want, got); d != "" {
		t.Errorf("defaults (-want +got):\n%s", d)
	}
	got, err = clitest.Parse(t, newCmd, "--namespace", "sec", "--image", pinned, "--privileged", "--enforce", "--seccomp", "Unconfined")
	if err != nil {
		t.Fatal(err)
	}
	want = &ManifestOptions{Streams: s, Namespace: "sec", Image: pinned, Privileged: true, Enforce: true, Seccomp: "Unconfined"}
	if d := clitest.Diff(want, got); d != "" {
		t.Errorf("flags (-want +got):\n%s", d)
	}
}
