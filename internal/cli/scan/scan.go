// Package scan implements `kguard scan`: load manifests, run the rules,
// write a report and exit with a status CI can act on.
package scan

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/cli/progress"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/images/vulnscan"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/policyreport"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/configaudit"
	"github.com/kguard/kguard/internal/scan"
)

// Options are the flags and arguments of `kguard scan`.
type Options struct {
	Registry func() (*rules.Registry, error)

	// Input is what to scan (PATHs, -f, Helm values, -n, or --cluster),
	// and the streams.
	cmdutil.Input
	Report cmdutil.Report

	ConfigFile    string
	TargetVersion string
	Enable        []string
	Disable       []string
	AllNamespaces bool
	// HelmCharts are chart directories given with --helm.
	HelmCharts []string
	// Timings prints the duration of each phase on standard error.
	Timings bool
	// WritePolicyReports writes the results into the cluster as Policy
	// Reports (in-cluster mode).
	WritePolicyReports bool
	// Now fixes the reference time (tests); zero means time.Now().
	Now time.Time
	// Images scans the workloads' images (--images, images.go).
	Images ImageOptions
	// progress tunes the status line (tests shorten its delay).
	progress progress.Options
}

// NewCmd returns `kguard scan`.
func NewCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error)) *cobra.Command {
	return newScanCmd(s, reg, Run)
}

func newScanCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error), run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{Input: cmdutil.Input{Streams: s}, Registry: reg}
	cmd := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Scan Kubernetes manifests for security problems",
		Long: `Scan Kubernetes manifests and report every rule they break.

PATH is a file, a directory (searched recursively for .yaml, .yml and .json
files) or - for standard input. Files may hold many YAML documents, JSON, or
List objects. Every finding names the file and line of the object.

Exit status: 0 when no finding is at or above --fail-on, 1 when one is,
2 for usage or input errors (bad files are named on stderr; the other
inputs are still scanned and reported).

Directories with a Chart.yaml are rendered with Helm's Go SDK (like
'helm template'; dependencies must be vendored in charts/), and directories
with a kustomization.yaml are built with Kustomize's Go API (local bases
only). Findings then name the template or the origin file.

With --cluster, kguard reads the live cluster instead (every served
resource, CRDs included; Secret values are not read except TLS secrets, for
the certificate rules). A resource it may not list is reported as NOT
EVALUATED with the missing permission, never as a pass, and the scan exits
2 unless --allow-partial. The server's version becomes the default
--target-version.

Findings are silenced per object with the annotation
kguard.io/ignore: "rule-id,other-id" (and kguard.io/ignore-reason), or
project-wide in .kguard.yaml (read from the working directory, or --config).
Suppressed findings are counted, never lost: --show-suppressed lists them.`,
		Example: `  # Scan the bundled example application
  kguard scan examples/

  # Fail CI only on critical findings, write SARIF for code scanning
  kguard scan -o sarif --output-file kguard.sarif --fail-on critical manifests/

  # Scan rendered output from another tool
  helm template ./chart | kguard scan -

  # Check API versions against the release you are upgrading to
  kguard scan --target-version 1.25 manifests/

  # Scan what is running: the cluster of the current kubeconfig context
  kguard scan --cluster
  kguard scan --cluster --context prod -n shop -o json

  # Render a Helm chart with values (no helm binary needed), or an overlay
  kguard scan --helm ./charts/web -f prod-values.yaml --set image.tag=2.1 --release web -n shop
  kguard scan ./deploy/overlays/prod`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			return run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.Input.AddFlags(cmd, cmdutil.InputFlags{BuiltinRBAC: true})
	o.Report.AddFlags(cmd)
	f.StringVar(&o.ConfigFile, "config", "", "config file (default ./"+config.FileName+" when present)")
	f.StringVar(&o.TargetVersion, "target-version", "", "Kubernetes release to check API versions against, e.g. 1.29 (default: the newest kguard knows)")
	f.StringSliceVar(&o.Enable, "enable", nil, "also run these rules that are off by default (comma-separated IDs)")
	f.StringSliceVar(&o.Disable, "disable", nil, "do not run these rules (comma-separated IDs)")
	f.BoolVarP(&o.AllNamespaces, "all-namespaces", "A", false, "with --cluster: every namespace (the default)")
	f.BoolVar(&o.WritePolicyReports, "write-policyreports", false, "with --cluster: write the results into the cluster as PolicyReports (one per namespace) and a ClusterPolicyReport, replacing kguard's previous ones")
	f.StringArrayVar(&o.HelmCharts, "helm", nil, "render this Helm chart directory and scan the result (repeatable; chart directories in PATHs are rendered too)")
	f.Var(cmdutil.AsOf{T: &o.Now}, "as-of", "judge dates (certificate expiry, end-of-life releases, backup age) as of this day, YYYY-MM-DD (default: now)")
	f.BoolVar(&o.Timings, "timings", false, "print on standard error how long reading, the rules and the report took")
	o.Images.addFlags(f)
	return cmd
}

// Run performs the scan and returns an *cmdutil.ExitError carrying the
// exit status when it is not 0.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.WritePolicyReports && !o.Cluster {
		return cmdutil.UsageErrorf("--write-policyreports needs --cluster (use -o policyreport to print reports for files)")
	}
	if o.AllNamespaces && o.Namespace != "" {
		return cmdutil.UsageErrorf("-A and -n are exclusive")
	}
	for _, c := range o.HelmCharts {
		if !inventory.IsChartDir(c) {
			return cmdutil.UsageErrorf("--helm %s: not a chart directory (no Chart.yaml)", c)
		}
	}
	// --helm charts are read like chart directories among the PATHs.
	in := o.Input
	in.Args = append(slices.Clone(o.Args), o.HelmCharts...)
	reg, err := o.Registry()
	if err != nil {
		return fmt.Errorf("rule registry: %w", err)
	}
	cfg, err := cmdutil.LoadConfig(o.ConfigFile, reg, o.Enable, o.Disable)
	if err != nil {
		return err
	}
	if in.PodTemplates, err = cfg.Templates(); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	o.Report.DefaultFailOn = cfg.FailOn
	if err := o.Report.Validate(); err != nil {
		return err
	}

	phases := newTimings()
	// The status line reads these counters; each phase sets its own text.
	var loadProg inventory.LoadProgress
	var clusterDone, clusterTotal, clusterObjects atomic.Int64
	var scanProg scan.Progress
	line := progress.Start(o.Streams.ErrOut, progress.Enabled(o.Streams.ErrIsTerminal), func() string {
		return fmt.Sprintf("reading: %s/%s files, %s objects", progress.Count(loadProg.Files.Load()),
			progress.Count(loadProg.FilesTotal.Load()), progress.Count(loadProg.Objects.Load()))
	}, o.progress)
	defer line.Stop()
	streams := *o.Streams
	streams.ErrOut = line.Wrap(o.Streams.ErrOut)

	target := firstNonEmpty(o.TargetVersion, cfg.TargetVersion)
	if _, err := k8sversions.Target(target); err != nil {
		return cmdutil.UsageErrorf("--target-version: %v", err)
	}
	in.KubeVersion = target
	// The input pipeline reports errors and progress on the status line's
	// stream.
	in.Streams = &streams
	in.LoadProgress = &loadProg
	// The cluster's client configuration, read from the kubeconfig once for
	// the read, the image pull secrets and the PolicyReports.
	var restCfg *rest.Config
	if o.Cluster {
		src, err := in.Source()
		if err != nil {
			return err
		}
		restCfg = src.Cluster.Config
		in.RESTConfig = restCfg
		line.Set(func() string {
			return fmt.Sprintf("reading cluster: %s/%s resource lists, %s objects", progress.Count(clusterDone.Load()),
				progress.Count(clusterTotal.Load()), progress.Count(clusterObjects.Load()))
		})
		in.Progress = func(done, total, objects int) {
			clusterDone.Store(int64(done))
			clusterTotal.Store(int64(total))
			clusterObjects.Store(int64(objects))
		}
	} else {
		setMemoryLimit(in.Paths())
	}
	loaded, err := in.Load(ctx)
	if err != nil {
		return err
	}
	if o.Cluster {
		target = firstNonEmpty(target, loaded.ServerVersion)
	}
	phases.mark("read")
	settings := &rules.Settings{
		TargetVersion:     target,
		Now:               o.Now,
		AllowedRegistries: cfg.Images.AllowedRegistries,
	}
	if d := cfg.TLS.ExpiryWarningDays; d > 0 {
		settings.CertExpiryWarning = time.Duration(d) * 24 * time.Hour
	}
	var imageProg vulnscan.Progress
	if o.Images.Enabled {
		line.Set(func() string {
			return fmt.Sprintf("images: %s/%s scanned", progress.Count(imageProg.Done.Load()), progress.Count(imageProg.Total.Load()))
		})
	}
	provided, imageErrs, err := o.scanImages(ctx, loaded.Inventory, cfg, restCfg, &imageProg)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	line.Set(func() string {
		return fmt.Sprintf("rules: %s/%s objects, %s/%s whole-inventory rules", progress.Count(scanProg.Objects.Load()), progress.Count(scanProg.ObjectsTotal.Load()),
			progress.Count(scanProg.InventoryRules.Load()), progress.Count(scanProg.InventoryRulesTotal.Load()))
	})
	var memo *analysis.Memo
	if o.Report.NeedsAnalyses() {
		// The report draws from the models the rules build (RBAC paths,
		// the reachability matrix): share them instead of building twice.
		memo = analysis.NewMemo(loaded.Inventory)
	}
	res, err := scan.Run(ctx, loaded.Inventory, scan.Options{Registry: reg, Config: cfg, Settings: settings, Progress: &scanProg, Analyses: memo, Provided: provided})
	if err != nil {
		return err
	}
	// Findings hold no pointers into the objects: let the collector have
	// them while the report is written.
	objects := loaded.Inventory.Len()
	loaded.Inventory = nil
	res.AddNotEvaluated(loaded.NotRead...)
	warnConfigFindings(&streams, res)
	phases.mark("rules")
	if o.WritePolicyReports {
		client, err := dynamic.NewForConfig(restCfg)
		if err != nil {
			return fmt.Errorf("policy reports: %w", err)
		}
		n, err := policyreport.Apply(ctx, client, policyreport.Build(res, time.Now()))
		if err != nil {
			return fmt.Errorf("write policy reports: %w", err)
		}
		fmt.Fprintf(streams.ErrOut, "policy reports: %d created, %d replaced, %d stale deleted\n", n.Created, n.Updated, n.Deleted)
		phases.mark("policy reports")
	}

	line.Set(func() string { return fmt.Sprintf("writing the %s report", o.Report.Output) })
	if err := o.Report.Write(o.Streams, res, reg, report.Options{InputErrors: loaded.Errors, Analyses: memo}); err != nil {
		return err
	}
	line.Stop()
	phases.mark("report")
	if o.Timings {
		fmt.Fprintf(o.Streams.ErrOut, "timings: %s (%d objects)\n", phases, objects)
	}

	for _, e := range imageErrs {
		fmt.Fprintf(streams.ErrOut, "error: %s\n", e)
	}
	// An image that could not be read is an input problem like a file.
	return o.Report.ExitStatus(&streams, res, len(loaded.Errors)+len(imageErrs), o.AllowPartial)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// warnConfigFindings echoes findings about the config's exceptions on
// standard error: an exception that lapsed or matches nothing changes what
// is reported, and whoever runs the scan should hear it even when the
// report goes to a file or shows only high severities.
func warnConfigFindings(s *cmdutil.Streams, res *scan.Result) {
	for _, list := range [][]finding.Finding{res.Findings, res.Suppressed} {
		for _, f := range list {
			if f.Rule == configaudit.IDExpired || f.Rule == configaudit.IDUnused {
				fmt.Fprintf(s.ErrOut, "warning: %s: %s (%s)\n", f.Source, f.Message, f.Rule)
			}
		}
	}
}
