package auditcmd

import (
	"context"
	_ "embed"
	"net"
	"path"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect/watch"
)

var (
	//go:embed manifests.yaml.tmpl
	manifestsTemplate string
	//go:embed apiserver-config.yaml.tmpl
	apiServerConfigTemplate string
)

// ManifestOptions parameterise `kguard audit manifests`.
type ManifestOptions struct {
	Streams *cmdutil.Streams

	Namespace string
	Image     string
	Replicas  int
	// ServiceIP fixes the Service's cluster IP, for the API server's
	// webhook configuration; empty lets the cluster choose.
	ServiceIP string
	// ClientAuth makes the backend accept events only from clients with
	// a certificate of its CA, and issues one for the API server.
	ClientAuth bool
	// APIServerConfig prints the files for the control-plane nodes
	// instead of the cluster objects.
	APIServerConfig bool
	// NodeDir is where those files go on the nodes.
	NodeDir string
}

// Port is the backend's HTTPS port in the pod.
func (o *ManifestOptions) Port() int { return 8443 }

// MetricsPort is the backend's plain HTTP metrics port in the pod.
func (o *ManifestOptions) MetricsPort() int { return 9090 }

// Path is the webhook's URL path.
func (o *ManifestOptions) Path() string { return watch.WebhookPath }

// ServerName is the Service's DNS name, which the serving certificate
// holds and the API server checks.
func (o *ManifestOptions) ServerName() string { return "kguard-audit." + o.Namespace + ".svc" }

func newManifestsCmd(s *cmdutil.Streams, run func(context.Context, *ManifestOptions) error) *cobra.Command {
	o := &ManifestOptions{Streams: s, Namespace: "kguard-system", Replicas: 1, ClientAuth: true, NodeDir: "/etc/kubernetes/kguard"}
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "Print the manifests that run the audit webhook backend in a cluster",
		Long: `Print what runs 'kguard audit watch --listen' in a cluster as the API
server's audit webhook backend: Namespace, ServiceAccount (no token, no
RBAC: the backend calls no API), Deployment (non-root, read-only root
filesystem, no capabilities, RuntimeDefault seccomp, probes on /healthz
and /readyz, Prometheus metrics on port 9090), Service, a NetworkPolicy
that admits traffic to the webhook and metrics ports only, and
cert-manager objects: a CA of the backend's own, its serving certificate
and, with --client-auth (the default), a client certificate for the API
server, without which the backend refuses events. Requires cert-manager.

The API server is not configured by objects: it needs a webhook
configuration (a kubeconfig naming the backend) and an audit policy as
files on every control-plane node, passed with --audit-webhook-config-file
and --audit-policy-file. --api-server-config prints both, with the steps
to install them, instead of the cluster objects. Control-plane nodes
usually cannot resolve Service names: give --service-ip, a free address
of the Service CIDR, to fix the Service's cluster IP and name it in the
webhook configuration. Managed clusters whose API server flags cannot be
changed cannot use the webhook backend.

Alerts are JSON lines on the pod's standard output.`,
		Example: `  kguard audit manifests | kubectl apply -f -
  kguard audit manifests --service-ip 10.96.0.50 | kubectl apply -f -
  kguard audit manifests --service-ip 10.96.0.50 --api-server-config > kguard-audit-apiserver.yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Namespace, "namespace", o.Namespace, "namespace to run the backend in")
	cmdutil.AddImageFlag(f, &o.Image)
	f.IntVar(&o.Replicas, "replicas", o.Replicas, "backend replicas; each keeps its own rate limits and burst counts")
	f.StringVar(&o.ServiceIP, "service-ip", "", "fixed cluster IP of the Service, named in the API server's webhook configuration")
	f.BoolVar(&o.ClientAuth, "client-auth", o.ClientAuth, "accept events only from the API server's client certificate (issued by cert-manager)")
	f.BoolVar(&o.APIServerConfig, "api-server-config", false, "print the webhook configuration and audit policy for the control-plane nodes instead")
	f.StringVar(&o.NodeDir, "node-dir", o.NodeDir, "with --api-server-config: directory of those files on the nodes")
	return cmd
}

// RunManifests checks the options and renders the cluster objects, or
// with APIServerConfig the control-plane files, to standard output.
func RunManifests(_ context.Context, o *ManifestOptions) error {
	if errs := validation.IsDNS1123Label(o.Namespace); len(errs) > 0 {
		return cmdutil.UsageErrorf("--namespace %q: %s", o.Namespace, errs[0])
	}
	if err := cmdutil.ValidateImage(o.Image); err != nil {
		return err
	}
	if o.Replicas < 1 {
		return cmdutil.UsageErrorf("--replicas must be 1 or more")
	}
	if o.ServiceIP != "" && net.ParseIP(o.ServiceIP) == nil {
		return cmdutil.UsageErrorf("--service-ip %q is not an IP address", o.ServiceIP)
	}
	if !path.IsAbs(o.NodeDir) {
		return cmdutil.UsageErrorf("--node-dir must be an absolute path")
	}
	src := manifestsTemplate
	if o.APIServerConfig {
		src = apiServerConfigTemplate
	}
	return cmdutil.RenderManifests(o.Streams.Out, src, o)
}
