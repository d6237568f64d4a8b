package nodecmd

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/node"
	"github.com/kguard/kguard/internal/rules/all"
)

func TestNodeArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *Options) error) *cobra.Command {
		return newNodeCmd(s, all.Registry, run)
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		args []string
		edit func(*Options)
		err  string
	}{
		{"defaults", nil, func(*Options) {}, ""},
		{"host", []string{"--root", "/host", "--proc", "/proc", "--config", "k.yaml", "--dump-inventory", "node.yaml", "--allow-partial", "--as-of", "2026-03-01"},
			func(o *Options) {
				o.Root, o.Proc, o.ConfigFile, o.DumpInventory, o.AllowPartial, o.Now = "/host", "/proc", "k.yaml", "node.yaml", true, day
			}, ""},
		{"report flags", []string{"-o", "json", "--output-file", "r.json", "--fail-on", "critical", "--show-suppressed"},
			func(o *Options) {
				o.Report = cmdutil.Report{Output: "json", OutputFile: "r.json", FailOn: "critical", ShowSuppressed: true, GroupBy: "resource", Color: "auto"}
			}, ""},
		{"benchmark", []string{"--benchmark", "cis"}, func(o *Options) { o.Benchmark = "cis" }, ""},
		{"benchmark and the same -o", []string{"--benchmark", "cis", "-o", "CIS"}, func(o *Options) { o.Benchmark, o.Report.Output = "cis", "CIS" }, ""},
		{"benchmark and another -o", []string{"--benchmark", "cis", "-o", "json"}, nil, "--benchmark cis and -o json: choose one"},
		{"no arguments", []string{"/host"}, nil, `unknown command "/host" for "node"`},
		{"bad date", []string{"--as-of", "March"}, nil, `invalid argument "March" for "--as-of"`},
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
			want := &Options{Streams: s, Root: "/", Report: clitest.ReportDefaults()}
			tt.edit(want)
			if d := clitest.Diff(want, got); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
			if got.Registry == nil {
				t.Error("no registry")
			}
		})
	}
}

func TestManifestsArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *ManifestOptions) error) *cobra.Command { return newManifestsCmd(s, run) }
	for _, tt := range []struct {
		args []string
		want node.ManifestOptions
	}{
		{nil, node.ManifestOptions{Namespace: "kguard-node", Image: cmdutil.DefaultImage()}},
		{[]string{"-n", "sec", "--image", "kguard:1", "--node", "cp-1"}, node.ManifestOptions{Namespace: "sec", Image: "kguard:1", NodeName: "cp-1"}},
	} {
		got, err := clitest.Parse(t, newCmd, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		if d := clitest.Diff(&ManifestOptions{Streams: s, ManifestOptions: tt.want}, got); d != "" {
			t.Errorf("%v (-want +got):\n%s", tt.args, d)
		}
	}
}
