// Package nodecmd implements `kguard node`: it describes the node kguard
// runs on (running components, their flags and configuration files, the
// modes and owners of their files) as inventory objects and judges them
// with the rule registry and scan engine `kguard scan` uses.
package nodecmd

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/node"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// Options are the flags of `kguard node`.
type Options struct {
	Streams  *cmdutil.Streams
	Registry func() (*rules.Registry, error)

	Root          string
	Proc          string
	Report        cmdutil.Report
	Benchmark     string
	AllowPartial  bool
	ConfigFile    string
	DumpInventory string
	// PIDs limits discovery to these processes (tests on machines where
	// other clusters run); nil checks every process.
	PIDs []int
	// Now fixes the reference time (tests); zero means time.Now().
	Now time.Time
}

// NewCmd returns `kguard node` with `manifests`.
func NewCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error)) *cobra.Command {
	cmd := newNodeCmd(s, reg, Run)
	cmd.AddCommand(newManifestsCmd(s, RunManifests))
	return cmd
}

func newNodeCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error), run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{Streams: s, Registry: reg}
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Check the node kguard runs on: component flags, configuration, file ownership and permissions",
		Long: `Check the node kguard runs on, like kube-bench but with kguard's rules.

kguard finds the Kubernetes components running on the node (kube-apiserver,
kube-controller-manager, kube-scheduler, etcd, kubelet, kube-proxy) in
/proc and describes the node as objects that the rules of 'kguard scan'
judge, with the same rule, severity and message for the same setting:

  NodeProcess     each component's command line (credentials redacted) and,
                  for etcd, its ETCD_* environment: read like the flags of
                  a static pod manifest
  KubeletConfiguration, KubeProxyConfiguration
                  the files the kubelet's and kube-proxy's --config name
  NodeFile        the mode, owner and group of private keys, kubeconfigs,
                  static pod manifests, configuration files, the kubelet's
                  systemd unit, the PKI directory and the etcd data
                  directory (node-file-permissions, node-file-owner)

Files are those the components' flags name and the well-known kubeadm
paths (/etc/kubernetes/manifests, /etc/kubernetes/*.conf,
/etc/kubernetes/pki, /var/lib/kubelet/config.yaml, /var/lib/etcd, the
kubelet's systemd unit), all read under --root. docs/node-objects.md
describes the objects; --dump-inventory writes them, and 'kguard scan' of
that file gives the same findings. Rules are configured in .kguard.yaml
as for 'kguard scan' (--config).

-o cis (or --benchmark cis) prints every check of the CIS Kubernetes
Benchmark 1.12 with PASS, FAIL, MANUAL or NOT EVALUATED (docs/cis.md).

Exit status: 0 when no finding is at or above --fail-on, 1 when one is,
2 for usage errors or when a path could not be checked (unless
--allow-partial). Paths that could not be checked are named; the others
are still checked.

Run it in the cluster with the Job of 'kguard node manifests'.`,
		Example: `  # Check this node
  sudo kguard node

  # Check a host filesystem mounted under /host, from a pod with hostPID
  kguard node --root /host --proc /proc

  # CIS view: PASS/FAIL/MANUAL/NOT EVALUATED per check, totals per section
  sudo kguard node -o cis

  # Keep what was found, and judge it again elsewhere
  sudo kguard node --dump-inventory node.yaml
  kguard scan node.yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Benchmark != "" && cmd.Flags().Changed("output") && !strings.EqualFold(o.Report.Output, o.Benchmark) {
				return cmdutil.UsageErrorf("--benchmark %s and -o %s: choose one", o.Benchmark, o.Report.Output)
			}
			return run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Root, "root", "/", "directory where the node's filesystem is mounted")
	f.StringVar(&o.Proc, "proc", "", "proc filesystem to find the running components in (default ROOT/proc)")
	o.Report.AddFlags(cmd)
	f.StringVar(&o.Benchmark, "benchmark", "", "print a benchmark view instead of findings: cis (the same as -o cis)")
	f.BoolVar(&o.AllowPartial, "allow-partial", false, "do not exit 2 when some paths could not be checked")
	f.StringVar(&o.ConfigFile, "config", "", "config file (default ./"+config.FileName+" when present)")
	f.StringVar(&o.DumpInventory, "dump-inventory", "", "also write the objects that describe the node to this file, as YAML that 'kguard scan' reads")
	f.Var(cmdutil.AsOf{T: &o.Now}, "as-of", "judge dates as of this day, YYYY-MM-DD (default: now)")
	return cmd
}

// Run checks the node and writes the report.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Benchmark != "" {
		if !strings.EqualFold(o.Benchmark, "cis") {
			return cmdutil.UsageErrorf("--benchmark: unknown benchmark %q (want cis)", o.Benchmark)
		}
		o.Report.Output = "cis"
	}
	reg, err := o.Registry()
	if err != nil {
		return fmt.Errorf("rule registry: %w", err)
	}
	cfg, err := cmdutil.LoadConfig(o.ConfigFile, reg, nil, nil)
	if err != nil {
		return err
	}
	o.Report.DefaultFailOn = cfg.FailOn
	if err := o.Report.Validate(); err != nil {
		return err
	}
	if fi, err := os.Stat(o.Root); err != nil || !fi.IsDir() {
		return cmdutil.UsageErrorf("--root %s: not a directory", o.Root)
	}

	host := node.Discover(node.Options{Root: o.Root, ProcDir: o.Proc, PIDs: o.PIDs})
	if o.DumpInventory != "" {
		if err := writeInventory(o.DumpInventory, host); err != nil {
			return cmdutil.UsageErrorf("--dump-inventory: %v", err)
		}
	}
	res, err := scan.Run(ctx, host.Inventory(), scan.Options{Registry: reg, Config: cfg, Settings: &rules.Settings{Now: o.Now}})
	if err != nil {
		return err
	}
	res.AddNotEvaluated(host.NotEvaluated()...)
	if err := o.Report.Write(o.Streams, res, reg, report.Options{}); err != nil {
		return err
	}
	if len(res.NotEvaluated) > 0 && !o.AllowPartial {
		for _, ne := range res.NotEvaluated {
			fmt.Fprintf(o.Streams.ErrOut, "  not checked: %s\n", report.DescribeNotEvaluated(ne))
		}
	}
	return o.Report.ExitStatus(o.Streams, res, 0, o.AllowPartial)
}

func writeInventory(path string, host *node.Host) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := host.WriteInventory(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ManifestOptions are the flags of `kguard node manifests`.
type ManifestOptions struct {
	Streams *cmdutil.Streams
	node.ManifestOptions
}

func newManifestsCmd(s *cmdutil.Streams, run func(context.Context, *ManifestOptions) error) *cobra.Command {
	o := &ManifestOptions{Streams: s, ManifestOptions: node.ManifestOptions{Namespace: "kguard-node"}}
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Print a Job that runs 'kguard node' on a control-plane node",
		Long: `Print a ServiceAccount and a Job that run 'kguard node' on a node.

The Job shares the host's PID namespace and mounts /etc/kubernetes,
/var/lib/kubelet, /var/lib/etcd, the kubelet's systemd unit directories
and the host's user and group lists read-only under /host. It runs as root
with every capability dropped, with a read-only root filesystem and a
ServiceAccount that has no RBAC binding and no token. The manifest's
comments explain why each setting is needed. Its namespace must allow
privileged pods (Pod Security "privileged" level).`,
		Example: `  kguard node manifests | kubectl apply -f -
  kubectl -n kguard-node logs job/kguard-node`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "namespace of the Job and its ServiceAccount")
	cmdutil.AddImageFlag(f, &o.Image)
	f.StringVar(&o.NodeName, "node", "", "run on this node (default: a control-plane node)")
	return cmd
}

// RunManifests prints the ServiceAccount and the Job.
func RunManifests(_ context.Context, o *ManifestOptions) error {
	if err := cmdutil.ValidateImage(o.Image); err != nil {
		return err
	}
	if err := node.WriteManifests(o.Streams.Out, o.ManifestOptions); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	return nil
}
