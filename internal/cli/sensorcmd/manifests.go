package sensorcmd

import (
	"context"
	_ "embed"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kguard/kguard/internal/cli/cmdutil"
)

//go:embed manifests.yaml.tmpl
var manifestsTemplate string

// ManifestOptions parameterise `kguard sensor manifests`.
type ManifestOptions struct {
	Streams *cmdutil.Streams

	Namespace string
	Image     string
	// Privileged runs the sensor as a privileged container, for nodes
	// where the minimal grant is not enough.
	Privileged bool
	// Enforce runs the sensor with --enforce (and the capability that the
	// connect deny list needs).
	Enforce bool
	// Seccomp is the container's seccomp profile type: RuntimeDefault or
	// Unconfined.
	Seccomp string
}

// Seccomp profile types --seccomp accepts.
const (
	seccompRuntimeDefault = "RuntimeDefault"
	seccompUnconfined     = "Unconfined"
)

func newManifestsCmd(s *cmdutil.Streams, run func(context.Context, *ManifestOptions) error) *cobra.Command {
	o := &ManifestOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Print the manifests that run the sensor on every node",
		Long: `Print everything needed to run 'kguard sensor' on every node: a Namespace
of its own (Pod Security level privileged, which a node sensor needs, kept
apart from everything else), a ServiceAccount that may only read pods, a
LimitRange, a NetworkPolicy that admits the metrics port only, and a
DaemonSet that tolerates every taint and runs at system-node-critical
priority.

The sensor runs as root, not privileged, with every capability dropped but
BPF, PERFMON and SYS_RESOURCE (with --enforce also NET_ADMIN, for the
connect deny list, and KILL, for processes blocked in a system call), no
privilege escalation, a read-only root filesystem, the runtime's default
seccomp profile, hostPID, and read-only mounts of the host's
/sys/kernel/btf, /sys/fs/cgroup, /proc and /sys/kernel/tracing. The
manifests explain each grant in comments.

Where the runtime's seccomp profile refuses the bpf syscall to a container
without CAP_SYS_ADMIN (CRI-O, containerd before late 1.6 releases), use
--seccomp Unconfined; where more is refused (SELinux-enforcing nodes),
--privileged. Alerts go to the pod's log. The optional Secret
kguard-sensor-alerts, key url, reaches the sensor as KGUARD_ALERT_WEBHOOK,
so a webhook URL (often a credential itself) is kept out of the manifests
and off the command line.`,
		Example: `  kguard sensor manifests | kubectl apply -f -
  kguard sensor manifests --image ghcr.io/kguard/kguard@sha256:... --enforce
  kguard sensor manifests --seccomp Unconfined   # CRI-O nodes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	cmd.Flags().StringVar(&o.Namespace, "namespace", "kguard-sensor", "namespace to run the sensor in (its own: it must allow privileged pods)")
	cmdutil.AddImageFlag(cmd.Flags(), &o.Image)
	cmd.Flags().BoolVar(&o.Privileged, "privileged", false, "run the sensor privileged (for nodes that refuse BPF to a container with only the needed capabilities)")
	cmd.Flags().BoolVar(&o.Enforce, "enforce", false, "run the sensor with --enforce: kill actions and the connect deny list (adds NET_ADMIN)")
	cmd.Flags().StringVar(&o.Seccomp, "seccomp", seccompRuntimeDefault, "seccomp profile: RuntimeDefault, or Unconfined where the runtime's default refuses the bpf syscall")
	return cmd
}

// RunManifests checks the options and renders the manifests to standard
// output.
func RunManifests(_ context.Context, o *ManifestOptions) error {
	switch o.Seccomp {
	case seccompRuntimeDefault, seccompUnconfined:
	default:
		return cmdutil.UsageErrorf("--seccomp must be %s or %s", seccompRuntimeDefault, seccompUnconfined)
	}
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return cmdutil.UsageErrorf("--namespace %q: %s", o.Namespace, strings.Join(errs, "; "))
	}
	if err := cmdutil.ValidateImage(o.Image); err != nil {
		return err
	}
	return cmdutil.RenderManifests(o.Streams.Out, manifestsTemplate, o)
}
