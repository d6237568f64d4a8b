// Package sensorcmd is `kguard sensor`: the eBPF node sensor and the
// manifests that run it as a DaemonSet.
package sensorcmd

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/detect/alert"
	"github.com/kguard/kguard/internal/runtime/enrich"
	"github.com/kguard/kguard/internal/runtime/sensor"
)

// Options are the flags of `kguard sensor`.
type Options struct {
	Streams *cmdutil.Streams

	RuleFiles   []string
	Output      string
	Rate        int
	MetricsAddr string
	Enforce     bool
	Deny        []string
	WatchPaths  []string
	NoDefaults  bool // no default watch paths
	NodeName    string
	Kubeconfig  string
	Context     string
	NoAPI       bool
	ProcRoot    string
	CgroupRoot  string
	FailHooks   []string
	Webhooks    alert.WebhookFlags
}

// NewCmd builds `kguard sensor` and its subcommands.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	cmd := newSensorCmd(s, Run)
	cmd.AddCommand(newManifestsCmd(s, RunManifests))
	return cmd
}

func newSensorCmd(s *cmdutil.Streams, run func(context.Context, *Options) error) *cobra.Command {
	o := &Options{Streams: s}
	cmd := &cobra.Command{
		Use:   "sensor",
		Short: "Watch processes, file opens and connections on this node with eBPF and alert",
		Long: `Run kguard's eBPF node sensor: report every process execution, opens
of watched paths and outbound TCP connections, enrich them with the
container and pod they come from, evaluate the runtime detection rules
(sources process, file and network; see 'kguard rules --runtime' and
docs/runtime-rules.md) and write alerts as ECS JSON lines, like
'kguard audit watch'.

Needs Linux with BTF (/sys/kernel/btf/vmlinux) and root or the
capabilities BPF, PERFMON and SYS_RESOURCE. No kprobes or fentry are
used: exec, file and network hooks are tracepoints (tp_btf, else raw
tracepoints). At start each hook is probed and its state printed; a hook
that cannot attach is reported INACTIVE with the reason and the others
keep running.

Opens are filtered in the kernel by path prefix: the defaults cover
credential files (/etc/shadow, /etc/sudoers, /root/.ssh/) and writes below
/etc and the binary directories; --watch-path adds PREFIX or
PREFIX:writes (writes only).

Container identity comes from the cgroup path the kubelet gives each
container (containerd, CRI-O, Docker; systemd and cgroupfs drivers). Pod
names, namespaces and images come from the API server: inside a cluster
or with --kubeconfig; --node-name restricts the pod watch to this node.
Without the API, alerts carry the container ID and pod UID only.

Enforcement is off unless --enforce is given. Then rules with
'action: kill' kill the matching process (the kernel program sends
SIGKILL at its next system call, right after the alert), and
--deny-connect ADDR:PORT (IPv4; 0.0.0.0 any address, port 0 any port)
makes connects fail with EPERM.

Alerts are rate limited per rule and container (--rate a minute), go to
standard output or --output, optionally to --alert-webhook URLs (JSON or
Slack), and are counted with the sensor's event counters and hook states
at --metrics-addr /metrics. 'kguard sensor manifests' prints a DaemonSet
that runs the sensor on every node.`,
		Example: `  sudo kguard sensor
  sudo kguard sensor --rules my-rules.yaml -o /var/log/kguard-alerts.json --metrics-addr :9464
  sudo kguard sensor --watch-path /srv/secrets/ --alert-webhook https://alerts.example.com/hook
  sudo kguard sensor --enforce --deny-connect 169.254.169.254:80
  kguard sensor manifests | kubectl apply -f -`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.RuleFiles, "rules", nil, "extra rules file (YAML), after the defaults; repeatable")
	f.StringVarP(&o.Output, "output", "o", "", "append alerts to this file instead of standard output")
	f.IntVar(&o.Rate, "rate", alert.DefaultRatePerMinute, "most alerts per rule and container a minute (0: no limit)")
	f.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics")
	f.BoolVar(&o.Enforce, "enforce", false, "carry out kill actions and the connect deny list")
	f.StringArrayVar(&o.Deny, "deny-connect", nil, "refuse connects to ADDR:PORT (IPv4, needs --enforce); repeatable")
	f.StringArrayVar(&o.WatchPaths, "watch-path", nil, "also report opens below PREFIX, or PREFIX:writes for writes only; repeatable")
	f.BoolVar(&o.NoDefaults, "no-default-watch-paths", false, "watch only the --watch-path prefixes")
	f.StringVar(&o.NodeName, "node-name", "", "watch only this node's pods for pod names (in a DaemonSet: spec.nodeName)")
	f.StringVar(&o.Kubeconfig, "kubeconfig", "", "kubeconfig for pod names (default: in-cluster, $KUBECONFIG, ~/.kube/config)")
	f.StringVar(&o.Context, "context", "", "kubeconfig context")
	f.BoolVar(&o.NoAPI, "no-api", false, "do not ask the API server for pod names")
	f.StringVar(&o.ProcRoot, "proc-root", "/proc", "where the host's /proc is mounted")
	f.StringVar(&o.CgroupRoot, "cgroup-root", "", "the host's cgroup v2 mount (default: found in /proc/self/mountinfo)")
	f.StringArrayVar(&o.FailHooks, "fail-hook", nil, "treat a hook or attach point as unavailable (testing)")
	f.MarkHidden("fail-hook")
	o.Webhooks.AddFlags(f)
	return cmd
}

// sensorOptions checks the flags and turns them into sensor options.
func (o *Options) sensorOptions() (sensor.Options, error) {
	var so sensor.Options
	if o.Rate < 0 {
		return so, cmdutil.UsageErrorf("--rate must be 0 (no limit) or more, not %d", o.Rate)
	}
	if len(o.Deny) > 0 && !o.Enforce {
		return so, cmdutil.UsageErrorf("--deny-connect needs --enforce")
	}
	for _, d := range o.Deny {
		ap, err := netip.ParseAddrPort(d)
		if err != nil || !ap.Addr().Is4() {
			return so, cmdutil.UsageErrorf("--deny-connect %q: want IPv4ADDR:PORT, e.g. 169.254.169.254:80", d)
		}
		so.DenyConnect = append(so.DenyConnect, ap)
	}
	if !o.NoDefaults {
		so.Watch = append(so.Watch, sensor.DefaultWatchPaths...)
	}
	for _, p := range o.WatchPaths {
		w, err := sensor.ParseWatchPath(p)
		if err != nil {
			return so, cmdutil.UsageErrorf("--watch-path: %v", err)
		}
		so.Watch = append(so.Watch, w)
	}
	if len(so.Watch) == 0 {
		so.Watch = []sensor.WatchPath{} // none: not the defaults
	}
	so.Enforce, so.ProcRoot, so.FailHooks = o.Enforce, o.ProcRoot, o.FailHooks
	return so, nil
}

// Run runs the sensor until ctx ends (an interrupt, in kguard), then
// prints what it saw on standard error.
func Run(ctx context.Context, o *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	s := o.Streams
	so, err := o.sensorOptions()
	if err != nil {
		return err
	}
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
	webhooks, err := o.Webhooks.Build(reg, cmdutil.LockedPrinter(s.ErrOut, "kguard sensor: alert "))
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	rate := o.Rate
	if rate == 0 {
		rate = -1
	}
	em, err := alert.New(alert.Options{RatePerMinute: rate, Descriptions: alert.Descriptions(rs), Registry: reg,
		Sinks: append([]alert.Sink{alert.NewJSONLines(out)}, webhooks.Sinks()...)})
	if err != nil {
		webhooks.Close(ctx)
		return err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), alert.DefaultDrainTimeout)
		defer cancel()
		em.Close(dctx)
	}()

	enricher, err := o.enricher(ctx, s)
	if err != nil {
		return err
	}
	so.Rules, so.Enrich, so.Log = rs, enricher.Enrich, s.ErrOut
	so.CgroupPath = o.CgroupRoot
	so.OnAlert = func(a detect.Alert, action string) { em.Emit(a, alert.Extra{Action: action}) }
	sn, err := sensor.New(so)
	if err != nil {
		return err
	}
	defer sn.Close()
	reg.MustRegister(sensor.Collector(sn))
	if o.MetricsAddr != "" {
		stop, err := cmdutil.ServeMetrics(o.MetricsAddr, reg, s.ErrOut)
		if err != nil {
			return err
		}
		defer stop()
	}
	fmt.Fprintf(s.ErrOut, "kguard sensor: %d rules, enforcement %s; watching\n", countRules(rs), onOff(o.Enforce))
	err = sn.Run(ctx)
	st, es := sn.Stats(), em.Stats()
	fmt.Fprintf(s.ErrOut, "kguard sensor: %d process, %d file, %d network events, %d alerts, %d suppressed, %d lost in the kernel",
		st.Events[detect.SourceProcess], st.Events[detect.SourceFile], st.Events[detect.SourceNetwork], es.Alerts, es.Suppressed, st.Lost)
	if len(webhooks) > 0 {
		hs := webhooks.Stats()
		fmt.Fprintf(s.ErrOut, ", webhooks: %d sent, %d dropped", hs.Sent, hs.Dropped)
	}
	fmt.Fprintln(s.ErrOut)
	return err
}

// enricher builds the cgroup resolver and, when the API server is
// reachable, the pod index. An unreachable API server is a warning: the
// sensor still runs with container IDs only.
func (o *Options) enricher(ctx context.Context, s *cmdutil.Streams) (*enrich.Enricher, error) {
	res, err := enrich.NewCgroupResolver(enrich.ResolverOptions{Root: o.CgroupRoot})
	if err != nil {
		return nil, fmt.Errorf("cgroups: %w", err)
	}
	if !res.AtHierarchyRoot() {
		fmt.Fprintf(s.ErrOut, "kguard sensor: warning: %s is not the root of the cgroup v2 hierarchy (a cgroup namespace?): cgroups outside it cannot be named; mount the host's /sys/fs/cgroup\n", res.Root())
	}
	useAPI := !o.NoAPI && (o.NodeName != "" || o.Kubeconfig != "" || os.Getenv("KUBERNETES_SERVICE_HOST") != "")
	if !useAPI {
		return enrich.NewEnricher(res, nil), nil
	}
	pods, err := o.podIndex(ctx)
	if err != nil {
		fmt.Fprintf(s.ErrOut, "kguard sensor: warning: no pod names (%v); alerts carry container IDs and pod UIDs only\n", err)
		return enrich.NewEnricher(res, nil), nil
	}
	return enrich.NewEnricher(res, pods), nil
}

func (o *Options) podIndex(ctx context.Context) (*enrich.PodIndex, error) {
	cfg, err := cmdutil.RESTConfig(o.Kubeconfig, o.Context)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	idx := enrich.NewPodIndex(cs, enrich.PodIndexOptions{NodeName: o.NodeName})
	// The informer runs until ctx ends, or stops at once if it cannot sync
	// (it would otherwise retry and log forever).
	rctx, stop := context.WithCancel(ctx)
	go idx.Run(rctx)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := idx.WaitForSync(wctx); err != nil {
		stop()
		return nil, fmt.Errorf("pod list did not sync: %w", err)
	}
	context.AfterFunc(ctx, stop)
	return idx, nil
}

func countRules(rs *detect.RuleSet) int {
	n := 0
	for _, r := range rs.Rules() {
		if r.Enabled && r.Source != detect.SourceK8sAudit {
			n++
		}
	}
	return n
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
