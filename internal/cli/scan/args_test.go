package scan

import (
	"context"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/cli/imagescmd"
)

// TestScanArgs: what the constructor makes of a command line, every flag
// of scan and the shared input and report flags included, with nothing
// run.
func TestScanArgs(t *testing.T) {
	s := &cmdutil.Streams{}
	newCmd := func(run func(context.Context, *Options) error) *cobra.Command { return newScanCmd(s, reg, run) }
	defaults := func() *Options {
		return &Options{Input: clitest.RBACInputDefaults(s), Report: clitest.ReportDefaults(), Images: ImageOptions{AccessFlags: imagescmd.AccessFlags{Platform: "linux/amd64"}}}
	}
	clitest.ParseCases(t, newCmd, defaults, []clitest.Case[Options]{
		{Name: "no arguments"},
		{Name: "paths", Args: []string{"deploy/", "-", "pod.yaml"}, Edit: func(o *Options) { o.Args = []string{"deploy/", "-", "pod.yaml"} }},
		{Name: "input flags", Args: []string{"-f", "a.yaml", "--filename", "b/", "--exclude", "vendor/", "--exclude", "*.tmp", "--values", "prod.yaml",
			"--set", "image.tag=2.1", "--set", "replicas=3", "--release", "web", "-n", "shop", "--max-file-size", "1024", "--allow-partial", "chart/"},
			Edit: func(o *Options) {
				o.Args, o.Files, o.Exclude = []string{"chart/"}, []string{"a.yaml", "b/"}, []string{"vendor/", "*.tmp"}
				o.ValuesFiles, o.Set, o.Release, o.Namespace = []string{"prod.yaml"}, []string{"image.tag=2.1", "replicas=3"}, "web", "shop"
				o.MaxFileSize, o.AllowPartial = 1024, true
			}},
		{Name: "cluster flags", Args: []string{"--cluster", "--kubeconfig", "/k/config", "--context", "prod", "--read-secret-values", "-A", "--write-policyreports"},
			Edit: func(o *Options) {
				o.Cluster, o.Kubeconfig, o.Context, o.ReadSecretValues = true, "/k/config", "prod", true
				o.AllNamespaces, o.WritePolicyReports = true, true
			}},
		{Name: "report flags", Args: []string{"-o", "sarif", "--output-file", "k.sarif", "--fail-on", "critical", "--show-suppressed", "."},
			Edit: func(o *Options) {
				o.Args = []string{"."}
				o.Report = cmdutil.Report{Output: "sarif", OutputFile: "k.sarif", FailOn: "critical", ShowSuppressed: true, GroupBy: "resource", Color: "auto"}
			}},
		{Name: "display, baseline and framework flags", Args: []string{"--severity", "high,critical", "--min-severity", "medium", "--summary",
			"--group-by", "namespace", "--explain", "--color", "never", "--baseline", "old.json", "--fail-on-new", "--framework", "cis", "--framework", "nsa", "."},
			Edit: func(o *Options) {
				o.Args = []string{"."}
				o.Report.Severities, o.Report.MinSeverity, o.Report.Summary = []string{"high", "critical"}, "medium", true
				o.Report.GroupBy, o.Report.Explain, o.Report.Color = "namespace", true, "never"
				o.Report.Baseline, o.Report.FailOnNew, o.Report.Frameworks = "old.json", true, []string{"cis", "nsa"}
			}},
		{Name: "rules and config", Args: []string{"--config", "k.yaml", "--target-version", "1.29", "--enable", "a,b", "--enable", "c", "--disable", "d",
			"--helm", "charts/web", "--helm", "charts/db", "--as-of", "2026-03-01", "--timings"},
			Edit: func(o *Options) {
				o.ConfigFile, o.TargetVersion, o.Enable, o.Disable = "k.yaml", "1.29", []string{"a", "b", "c"}, []string{"d"}
				o.HelmCharts, o.Now, o.Timings = []string{"charts/web", "charts/db"}, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true
			}},
		{Name: "no built-in RBAC", Args: []string{"--no-builtin-rbac", "deploy/"},
			Edit: func(o *Options) { o.BuiltinRBAC, o.Args = false, []string{"deploy/"} }},
		{Name: "unknown flag", Args: []string{"--bogus"}, Err: "unknown flag: --bogus"},
		{Name: "missing value", Args: []string{"deploy/", "-o"}, Err: "flag needs an argument: 'o' in -o"},
		{Name: "bad size", Args: []string{"--max-file-size", "big"}, Err: `invalid argument "big" for "--max-file-size"`},
		{Name: "image flags", Args: []string{"--images", "--platform", "linux/arm64", "--insecure-registry", "reg:5000", "--cache-dir", "c", "--no-cache",
			"--db", "d", "--ignore-unfixed", "deploy/"},
			Edit: func(o *Options) {
				o.Args = []string{"deploy/"}
				o.Images = ImageOptions{Enabled: true, AccessFlags: imagescmd.AccessFlags{
					Platform: "linux/arm64", InsecureRegistry: []string{"reg:5000"}, CacheDir: "c", NoCache: true, DB: "d", IgnoreUnfixed: true}}
			}},
	})
	// Diff leaves functions out: the registry constructor is handed on.
	if got, err := clitest.Parse(t, newCmd); err != nil || got.Registry == nil {
		t.Errorf("registry not handed on: %v", err)
	}
}
