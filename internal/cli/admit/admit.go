// Package admit implements `kguard admit`: run the validating admission
// webhook, and print the manifests that install it in a cluster.
package admit

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/kguard/kguard/internal/admission"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/rules"
)

// Options are the flags of `kguard admit`.
type Options struct {
	Streams  *cmdutil.Streams
	Registry func() (*rules.Registry, error)

	Listen        string
	TLSCertFile   string
	TLSKeyFile    string
	TLSSelfSigned []string
	ConfigFile    string
	PolicyFile    string
	DefaultMode   string
	NamespaceMode []string
	Timeout       time.Duration
	MaxBodyBytes  int64
	// Ready, when set, receives the listening address (tests).
	Ready func(addr string)
}

// NewCmd returns `kguard admit` with `manifests` and `bench`.
func NewCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error)) *cobra.Command {
	cmd := newAdmitCmd(s, reg, Run)
	cmd.AddCommand(newManifestsCmd(s, RunManifests), newBenchCmd(s, reg, RunBench))
	return cmd
}

func newAdmitCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error), run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{Streams: s, Registry: reg}
	cmd := &cobra.Command{
		Use:   "admit",
		Short: "Run the validating admission webhook",
		Long: `Run kguard as a validating admission webhook (admission.k8s.io/v1).

Every object the API server sends is checked by the same single-object rules
as 'kguard scan': pod security, images, secrets, exposure, isolation and
patching. Workloads are judged on their pod template when they are created
or updated, so the error shows at 'kubectl apply'.

Namespaces choose how strict to be with the label kguard.io/enforce:
  restricted  deny findings of medium severity and above
  baseline    deny high and critical findings (the default), except Pod
              Security Standards restricted-level checks, which warn
  audit       never deny; every finding is returned as a warning
  off         do not evaluate
Findings below the deny threshold come back as warnings, which kubectl
prints. A policy file (--policy) sets deny, warn or audit per rule, and
.kguard.yaml exceptions and kguard.io/ignore annotations apply as in scan.

TLS: --tls-cert-file/--tls-key-file are re-read when they change (works
with cert-manager). --tls-self-signed HOST[,HOST] makes a throwaway CA for
a quick start and prints its caBundle for the webhook configuration.

Endpoints: /validate, /healthz, /readyz, /metrics (Prometheus).
Logs are JSON lines on stderr, one per request, with the request UID.

failurePolicy: 'Fail' keeps unchecked objects out while the webhook is
down (run 2+ replicas with a PodDisruptionBudget); 'Ignore' keeps the
cluster writable but lets objects through unchecked. See docs/admission.md.`,
		Example: `  # Quick start on a workstation
  kguard admit --tls-self-signed localhost,127.0.0.1 --listen 127.0.0.1:8443

  # In a cluster (see 'kguard admit manifests')
  kguard admit --tls-cert-file /tls/tls.crt --tls-key-file /tls/tls.key --policy /etc/kguard/policy.yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", ":8443", "address to serve HTTPS on")
	f.StringVar(&o.TLSCertFile, "tls-cert-file", "", "serving certificate (PEM); reloaded when it changes")
	f.StringVar(&o.TLSKeyFile, "tls-key-file", "", "serving key (PEM)")
	f.StringSliceVar(&o.TLSSelfSigned, "tls-self-signed", nil, "generate a throwaway CA and certificate for these host names/IPs and print the caBundle")
	f.StringVar(&o.ConfigFile, "config", "", "kguard config file with exceptions (default ./"+config.FileName+" when present)")
	f.StringVar(&o.PolicyFile, "policy", "", "admission policy file: rules: {RULE-ID: deny|warn|audit}")
	f.StringVar(&o.DefaultMode, "default-mode", string(admission.ModeBaseline), "mode for namespaces without the kguard.io/enforce label: restricted, baseline, audit or off")
	f.StringSliceVar(&o.NamespaceMode, "namespace-mode", nil, "fixed mode for a namespace, NS=MODE (repeatable); without it modes come from namespace labels when running in a cluster")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Second, "time limit for one review")
	f.Int64Var(&o.MaxBodyBytes, "max-body-bytes", admission.DefaultMaxBodyBytes, "largest request body accepted")
	return cmd
}

// Run serves the webhook until ctx ends (an interrupt, in kguard), then
// lets requests in flight finish.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	reg, err := o.Registry()
	if err != nil {
		return fmt.Errorf("rule registry: %w", err)
	}
	// The config is read and checked as scan reads it, so that both judge
	// with the same exceptions.
	cfg, err := cmdutil.LoadConfig(o.ConfigFile, reg, nil, nil)
	if err != nil {
		return err
	}
	mode, err := admission.ParseMode(o.DefaultMode)
	if err != nil {
		return cmdutil.UsageErrorf("--default-mode: %v", err)
	}
	var modes admission.NamespaceModes
	static := admission.StaticModes{}
	for _, nm := range o.NamespaceMode {
		ns, m, ok := strings.Cut(nm, "=")
		if !ok {
			return cmdutil.UsageErrorf("--namespace-mode %q: want NS=MODE", nm)
		}
		if static[ns], err = admission.ParseMode(m); err != nil {
			return cmdutil.UsageErrorf("--namespace-mode %q: %v", nm, err)
		}
	}
	modes = static
	if len(static) == 0 {
		// In a cluster, modes come from namespace labels.
		if rc, err := rest.InClusterConfig(); err == nil {
			lm, err := admission.NewLabelModes(ctx, rc)
			if err != nil {
				return err
			}
			modes = lm
		}
	}
	var policy *admission.Policy
	if o.PolicyFile != "" {
		if policy, err = admission.LoadPolicy(o.PolicyFile, reg); err != nil {
			return cmdutil.UsageErrorf("%v", err)
		}
	}
	getCert, err := o.certificates()
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(o.Streams.ErrOut, nil))
	h := &admission.Handler{
		Registry: reg, Config: cfg, Policy: policy, DefaultMode: mode, Modes: modes,
		MaxBodyBytes: o.MaxBodyBytes, Timeout: o.Timeout, Logger: logger, Metrics: admission.NewMetrics(),
	}
	if h.Signatures, err = signatureCheck(cfg, o.ConfigFile); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return cmdutil.UsageErrorf("listen %s: %v", o.Listen, err)
	}
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	srv := &admission.Server{Handler: h, GetCertificate: getCert, Logger: logger}
	return srv.Serve(ctx, ln)
}

// certificates returns the serving certificate source: the files (re-read
// when they change), or a throwaway pair held in memory whose CA bundle is
// printed for the webhook configuration.
func (o *Options) certificates() (admission.GetCertificateFunc, error) {
	switch {
	case len(o.TLSSelfSigned) > 0 && (o.TLSCertFile != "" || o.TLSKeyFile != ""):
		return nil, cmdutil.UsageErrorf("--tls-self-signed and --tls-cert-file/--tls-key-file are exclusive")
	case len(o.TLSSelfSigned) > 0:
		ss, err := admission.NewSelfSigned(o.TLSSelfSigned, 365*24*time.Hour)
		if err != nil {
			return nil, fmt.Errorf("--tls-self-signed: %w", err)
		}
		cert, err := ss.TLSCertificate()
		if err != nil {
			return nil, fmt.Errorf("--tls-self-signed: %w", err)
		}
		fmt.Fprintf(o.Streams.Out, "caBundle: %s\n", base64.StdEncoding.EncodeToString(ss.CAPEM))
		return admission.StaticCertificate(cert), nil
	case o.TLSCertFile == "" || o.TLSKeyFile == "":
		return nil, cmdutil.UsageErrorf("TLS is required: give --tls-cert-file and --tls-key-file, or --tls-self-signed HOSTS")
	}
	rl, err := admission.NewCertReloader(o.TLSCertFile, o.TLSKeyFile)
	if err != nil {
		return nil, cmdutil.UsageErrorf("%v", err)
	}
	return rl.GetCertificate, nil
}
