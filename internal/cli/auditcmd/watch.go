package auditcmd

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect/alert"
	"github.com/kguard/kguard/internal/detect/watch"
)

// WatchOptions are the flags of `kguard audit watch`.
type WatchOptions struct {
	Streams *cmdutil.Streams

	LogFile     string
	FromStart   bool
	RuleFiles   []string
	Output      string
	MetricsAddr string
	Rate        int
	Webhooks    alert.WebhookFlags
	// Listen serves the API server's audit webhook backend (listen.go).
	Listen ListenOptions
}

func newWatchCmd(s *cmdutil.Streams, run func(context.Context, *WatchOptions) error) *cobra.Command {
	o := &WatchOptions{Streams: s}
	cmd := &cobra.Command{
		Use:   "watch (--log FILE | --listen ADDR)",
		Short: "Run the detection rules over an API server audit log and print alerts",
		Long: `Read the API server's JSON audit log (--audit-log-path with
--audit-log-format=json), or receive its events as its audit webhook
backend (--listen, below), evaluate the default detection rules (see
docs/runtime-rules.md) and any --rules files on every event, and write
alerts as JSON lines with ECS field names (@timestamp, event.kind,
event.severity, rule.id, message, threat.technique.id, user.name,
source.ip, kubernetes.namespace, ...).

By default the log is followed like tail -F from its end, through
rotation and truncation, until interrupted. With --from-start it is read
once from the beginning and the command exits at end of file.

Alerts are limited to --rate per rule and user a minute (0 for no limit);
the number suppressed is reported on the next alert. Single forbidden
(403) responses are not reported; 20 from one user within a minute make
one k8s-forbidden-burst alert. Lines over 1 MiB and lines that are not
audit events are skipped and counted. With --metrics-addr, Prometheus
metrics are served at /metrics.

With --alert-webhook URL (repeatable) every alert is also POSTed to the
URL: the alert's JSON record (--alert-webhook-format json, the default)
or a Slack incoming-webhook message (slack). --alert-webhook-header adds
a header such as Authorization; --alert-webhook-ca-file trusts a private
CA besides the system's. Alerts wait in a queue of --alert-queue per
webhook; a failed POST is tried up to 5 times with backoff (honouring
Retry-After), and alerts that do not fit in the queue or fail for good
are dropped and counted. On exit the queues get 10 seconds to drain and
the summary on standard error gives the numbers sent and dropped.

As the API server's audit webhook backend (--audit-webhook-config-file),
--listen ADDR serves HTTPS at path /audit: the API server POSTs batches
of events (audit.k8s.io/v1 EventList), which are evaluated like log lines
before the reply. --tls-cert-file and --tls-private-key-file are the
serving pair, re-read when they change (cert-manager rotates them); TLS
1.2 is the minimum. With --client-ca-file, only a client presenting a
certificate signed by those CAs (the API server, with the client
certificate of its webhook kubeconfig) may deliver events; /healthz and
/readyz answer without one. Bodies over --max-body-bytes get 413. Plain
HTTP needs --insecure-http and a loopback address: it is for local
testing. --log and --listen may be used together; with --listen the
command runs until interrupted. 'kguard audit manifests' prints a
Deployment that runs the backend in a cluster, and the webhook
configuration and audit policy for the control-plane nodes.`,
		Example: `  kguard audit watch --log /var/log/kubernetes/audit.log
  kguard audit watch --log audit.log --from-start --rules my-rules.yaml -o alerts.json
  kguard audit watch --log audit.log --metrics-addr :9090 --rate 5
  kguard audit watch --log audit.log --alert-webhook https://hooks.slack.com/services/... --alert-webhook-format slack
  kguard audit watch --listen :8443 --tls-cert-file tls.crt --tls-private-key-file tls.key --client-ca-file ca.crt
  kguard audit watch --listen 127.0.0.1:8080 --insecure-http`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.LogFile, "log", "", "audit log file (JSON lines)")
	f.BoolVar(&o.FromStart, "from-start", false, "read the log once from its start and exit at its end")
	f.StringArrayVar(&o.RuleFiles, "rules", nil, "extra rules file (YAML), after the defaults; repeatable")
	f.StringVarP(&o.Output, "output", "o", "", "append alerts to this file instead of standard output")
	f.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics")
	f.IntVar(&o.Rate, "rate", watch.DefaultRatePerMinute, "most alerts per rule and user a minute (0: no limit)")
	o.Webhooks.AddFlags(f)
	o.Listen.addFlags(f)
	return cmd
}

// RunWatch evaluates the rules over the log and the webhook backend until
// ctx ends (an interrupt, in kguard) or, with FromStart and no Listen, the
// log's end; then it prints what it saw on standard error.
func RunWatch(ctx context.Context, o *WatchOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	s := o.Streams
	if o.LogFile == "" && o.Listen.Addr == "" {
		return cmdutil.UsageErrorf("--log FILE or --listen ADDR is required (or both)")
	}
	if o.Rate < 0 {
		return cmdutil.UsageErrorf("--rate must be 0 (no limit) or more, not %d", o.Rate)
	}
	if o.LogFile == "" {
		if o.FromStart {
			return cmdutil.UsageErrorf("--from-start needs --log")
		}
	} else if fi, err := os.Stat(o.LogFile); err != nil {
		return cmdutil.UsageErrorf("audit log: %v", err)
	} else if fi.IsDir() {
		return cmdutil.UsageErrorf("audit log: %s is a directory", o.LogFile)
	}
	ws, err := o.Listen.prepare()
	if err != nil {
		return err
	}
	defer ws.close()
	rs, err := cmdutil.LoadRuntimeRules(o.RuleFiles)
	if err != nil {
		return err
	}
	out, closeOut, err := cmdutil.AlertOutput(o.Output, s.Out)
	if err != nil {
		return err
	}
	defer closeOut()
	reg := prometheus.NewRegistry()
	webhooks, err := o.Webhooks.Build(reg, cmdutil.LockedPrinter(s.ErrOut, "kguard audit watch: alert "))
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	opts := watch.Options{Path: o.LogFile, Follow: !o.FromStart, FromEnd: !o.FromStart, Rules: rs, Out: out, RatePerMinute: o.Rate,
		Sinks: webhooks.Sinks(), Registry: reg}
	if o.Rate == 0 {
		opts.RatePerMinute = -1
	}
	w, err := watch.New(opts)
	if err != nil {
		webhooks.Close(context.Background())
		return err
	}
	// Closing lets the webhooks deliver what they hold; their
	// failures are reported as they happen and counted below.
	closeSinks := sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), alert.DefaultDrainTimeout)
		defer cancel()
		w.Close(ctx)
	})
	defer closeSinks()
	if o.MetricsAddr != "" {
		stop, err := cmdutil.ServeMetrics(o.MetricsAddr, w.Registry(), s.ErrOut)
		if err != nil {
			return err
		}
		defer stop()
	}
	err = runSources(ctx, w, o.LogFile != "", ws, s.ErrOut)
	closeSinks()
	st := w.Stats()
	fmt.Fprintf(s.ErrOut, "kguard audit watch: %d events, %d alerts, %d suppressed, %d lines skipped",
		st.Events, st.Alerts, st.Suppressed, st.Skipped)
	if len(webhooks) > 0 {
		hs := webhooks.Stats()
		fmt.Fprintf(s.ErrOut, ", webhooks: %d sent, %d dropped", hs.Sent, hs.Dropped)
	}
	fmt.Fprintln(s.ErrOut)
	return err
}
