// Package nodecmd implements `kguard node`: checks of the node kguard runs
// on (running components, their flags, and the ownership and permissions
// of their files), like kube-bench but with kguard's findings.
package nodecmd

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/node"
	"github.com/kguard/kguard/internal/report"
)

// Options are the flags of `kguard node`.
type Options struct {
	Streams      *cmdutil.Streams
	Root         string
	Proc         string
	Report       cmdutil.Report
	Benchmark    string
	AllowPartial bool
}

// NewCmd returns `kguard node`.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	o := &Options{Streams: s}
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Check the node kguard runs on: component flags, file ownership and permissions",
		Long: `Check the node kguard runs on, like kube-bench but with kguard's findings.

kguard finds the Kubernetes components running on the node (kube-apiserver,
kubelet, etcd, kube-controller-manager, kube-scheduler, kube-proxy) in
/proc, reads their flags, and checks:

  node-file-permissions  private keys, kubeconfigs, static pod manifests and
                         configuration files are 0600 or stricter,
                         certificates 0644, the etcd data directory 0700
  node-file-owner        those files are owned by root
  node-component-flag    kube-apiserver --anonymous-auth=false; kubelet
                         anonymous auth off, authorization not AlwaysAllow,
                         read-only port 0

Files are those the components' flags name and the well-known kubeadm
paths (/etc/kubernetes/manifests, /etc/kubernetes/*.conf,
/etc/kubernetes/pki, /var/lib/kubelet/config.yaml, /var/lib/etcd), all
read under --root. Findings cite CIS Kubernetes Benchmark sections.

Exit status: 0 when no finding is at or above --fail-on, 1 when one is,
2 for usage errors or when a path could not be checked (unless
--allow-partial). Paths that could not be checked are named; the others
are still checked.

Run it in the cluster with the Job of 'kguard node manifests'.`,
		Example: `  # Check this node
  sudo kguard node

  # Check a host filesystem mounted under /host, from a pod with hostPID
  kguard node --root /host --proc /proc

  # CIS view: PASS/FAIL/MANUAL per check, totals per section
  sudo kguard node --benchmark cis`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return Run(o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Root, "root", "/", "directory where the node's filesystem is mounted")
	f.StringVar(&o.Proc, "proc", "", "proc filesystem to find the running components in (default ROOT/proc)")
	o.Report.AddFlags(cmd)
	f.StringVar(&o.Benchmark, "benchmark", "", "print a benchmark summary instead of findings: cis")
	f.BoolVar(&o.AllowPartial, "allow-partial", false, "do not exit 2 when some paths could not be checked")
	cmd.AddCommand(newManifestsCmd(s))
	return cmd
}

// Run checks the node and writes the report.
func Run(o *Options) error {
	if err := o.Report.Validate(); err != nil {
		return err
	}
	if o.Benchmark != "" && !strings.EqualFold(o.Benchmark, "cis") {
		return cmdutil.UsageErrorf("--benchmark: unknown benchmark %q (want cis)", o.Benchmark)
	}
	if fi, err := os.Stat(o.Root); err != nil || !fi.IsDir() {
		return cmdutil.UsageErrorf("--root %s: not a directory", o.Root)
	}

	rep := node.Run(node.Options{Root: o.Root, ProcDir: o.Proc})
	if o.Benchmark != "" {
		if err := node.WriteBenchmark(o.Streams.Out, rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	} else {
		if err := o.Report.Write(o.Streams, rep.Result(), nil, report.Options{}); err != nil {
			return err
		}
	}
	if len(rep.Errors) > 0 && !o.AllowPartial {
		fmt.Fprintf(o.Streams.ErrOut, "error: %d path(s) could not be checked (use --allow-partial to accept):\n", len(rep.Errors))
		for _, e := range rep.Errors {
			fmt.Fprintf(o.Streams.ErrOut, "  %v\n", e)
		}
		return cmdutil.Exit(cmdutil.ExitUsage)
	}
	if o.Report.Fails(rep.Result()) {
		return cmdutil.Exit(cmdutil.ExitFindings)
	}
	return nil
}

func newManifestsCmd(s *cmdutil.Streams) *cobra.Command {
	o := node.ManifestOptions{Namespace: "kguard-node", Image: cmdutil.DefaultImage()}
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Print a Job that runs 'kguard node' on a control-plane node",
		Long: `Print a ServiceAccount and a Job that run 'kguard node' on a node.

The Job shares the host's PID namespace and mounts /etc/kubernetes,
/var/lib/kubelet and /var/lib/etcd read-only under /host. It runs as root
with every capability dropped, with a read-only root filesystem and a
ServiceAccount that has no RBAC binding and no token. The manifest's
comments explain why each setting is needed. Its namespace must allow
privileged pods (Pod Security "privileged" level).`,
		Example: `  kguard node manifests | kubectl apply -f -
  kubectl -n kguard-node logs job/kguard-node`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := node.WriteManifests(s.Out, o); err != nil {
				return cmdutil.UsageErrorf("%v", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "namespace of the Job and its ServiceAccount")
	f.StringVar(&o.Image, "image", o.Image, "kguard image")
	f.StringVar(&o.NodeName, "node", "", "run on this node (default: a control-plane node)")
	return cmd
}
