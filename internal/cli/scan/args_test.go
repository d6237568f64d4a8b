package scan

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// TestScanArgs: what the constructor makes of a command line, every flag
// of scan and the shared input and report flags included, with nothing
// run.
func TestScanArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *Options) error) *cobra.Command { return newScanCmd(s, reg, run) }
	tests := []struct {
		name string
		args []string
		edit func(*Options)
		err  string
	}{
		{"no arguments", nil, func(*Options) {}, ""},
		{"paths", []string{"deploy/", "-", "pod.yaml"}, func(o *Options) { o.Args = []string{"deploy/", "-", "pod.yaml"} }, ""},
		{"input flags", []string{"-f", "a.yaml", "--filename", "b/", "--exclude", "vendor/", "--exclude", "*.tmp", "--values", "prod.yaml",
			"--set", "image.tag=2.1", "--set", "replicas=3", "--release", "web", "-n", "shop", "--max-file-size", "1024", "--allow-partial", "chart/"},
			func(o *Options) {
				o.Args, o.Files, o.Exclude = []string{"chart/"}, []string{"a.yaml", "b/"}, []string{"vendor/", "*.tmp"}
				o.ValuesFiles, o.Set, o.Release, o.Namespace = []string{"prod.yaml"}, []string{"image.tag=2.1", "replicas=3"}, "web", "shop"
				o.MaxFileSize, o.AllowPartial = 1024, true
			}, ""},
		{"cluster flags", []string{"--cluster", "--kubeconfig", "/k/config", "--context", "prod", "--read-secret-values", "-A", "--write-policyreports"},
			func(o *Options) {
				o.Cluster, o.Kubeconfig, o.Context, o.ReadSecretValues = true, "/k/config", "prod", true
				o.AllNamespaces, o.WritePolicyReports = true, true
			}, ""},
		{"report flags", []string{"-o", "sarif", "--output-file", "k.sarif", "--fail-on", "critical", "--show-suppressed", "."},
			func(o *Options) {
				o.Args = []string{"."}
				o.Report = cmdutil.Report{Output: "sarif", OutputFile: "k.sarif", FailOn: "critical", ShowSuppressed: true}
			}, ""},
		{"rules and config", []string{"--config", "k.yaml", "--target-version", "1.29", "--enable", "a,b", "--enable", "c", "--disable", "d",
			"--helm", "charts/web", "--helm", "charts/db", "--as-of", "2026-03-01", "--timings"},
			func(o *Options) {
				o.ConfigFile, o.TargetVersion, o.Enable, o.Disable = "k.yaml", "1.29", []string{"a", "b", "c"}, []string{"d"}
				o.HelmCharts, o.Now, o.Timings = []string{"charts/web", "charts/db"}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true
			}, ""},
		{"unknown flag", []string{"--bogus"}, nil, "unknown flag: --bogus"},
		{"missing value", []string{"deploy/", "-o"}, nil, "flag needs an argument: 'o' in -o"},
		{"bad size", []string{"--max-file-size", "big"}, nil, `invalid argument "big" for "--max-file-size"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := clitest.Parse(t, newCmd, tt.args...)
			if tt.err != "" {
				var ee *cmdutil.ExitError
				if !asExit(err, &ee) || !ee.Usage || !strings.Contains(fmt.Sprint(err), tt.err) {
					t.Fatalf("error %v, want a usage error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := &Options{Input: clitest.InputDefaults(s), Report: clitest.ReportDefaults()}
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
