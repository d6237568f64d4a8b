package auditcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/detect/watch"
)

func newWatchCmd(s *cmdutil.Streams) *cobra.Command {
	var (
		logFile, output, metricsAddr string
		fromStart                    bool
		ruleFiles                    []string
		rate                         int
	)
	cmd := &cobra.Command{
		Use:   "watch --log FILE",
		Short: "Run the detection rules over an API server audit log and print alerts",
		Long: `Read the API server's JSON audit log (--audit-log-path with
--audit-log-format=json), evaluate the default detection rules (see
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
metrics are served at /metrics.`,
		Example: `  kguard audit watch --log /var/log/kubernetes/audit.log
  kguard audit watch --log audit.log --from-start --rules my-rules.yaml -o alerts.json
  kguard audit watch --log audit.log --metrics-addr :9090 --rate 5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if logFile == "" {
				return cmdutil.UsageErrorf("--log is required")
			}
			if rate < 0 {
				return cmdutil.UsageErrorf("--rate must be 0 (no limit) or more, not %d", rate)
			}
			if fi, err := os.Stat(logFile); err != nil {
				return cmdutil.UsageErrorf("audit log: %v", err)
			} else if fi.IsDir() {
				return cmdutil.UsageErrorf("audit log: %s is a directory", logFile)
			}
			rs, err := loadRules(ruleFiles)
			if err != nil {
				return err
			}
			var out io.Writer = s.Out
			if output != "" && output != "-" {
				f, err := os.OpenFile(output, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
				if err != nil {
					return cmdutil.UsageErrorf("output: %v", err)
				}
				defer f.Close()
				out = f
			}
			opts := watch.Options{Path: logFile, Follow: !fromStart, FromEnd: !fromStart, Rules: rs, Out: out, RatePerMinute: rate}
			if rate == 0 {
				opts.RatePerMinute = -1
			}
			w, err := watch.New(opts)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if metricsAddr != "" {
				stop, err := serveMetrics(metricsAddr, w)
				if err != nil {
					return err
				}
				defer stop()
			}
			err = w.Run(ctx)
			st := w.Stats()
			fmt.Fprintf(s.ErrOut, "kguard audit watch: %d events, %d alerts, %d suppressed, %d lines skipped\n",
				st.Events, st.Alerts, st.Suppressed, st.Skipped)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&logFile, "log", "", "audit log file (JSON lines)")
	f.BoolVar(&fromStart, "from-start", false, "read the log once from its start and exit at its end")
	f.StringArrayVar(&ruleFiles, "rules", nil, "extra rules file (YAML), after the defaults; repeatable")
	f.StringVarP(&output, "output", "o", "", "append alerts to this file instead of standard output")
	f.StringVar(&metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics")
	f.IntVar(&rate, "rate", watch.DefaultRatePerMinute, "most alerts per rule and user a minute (0: no limit)")
	return cmd
}

// loadRules compiles the default rules and then the files; any error in
// them is fatal.
func loadRules(files []string) (*detect.RuleSet, error) {
	srcs := detect.DefaultSources()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, cmdutil.UsageErrorf("rules: %v", err)
		}
		srcs = append(srcs, detect.Source{Name: f, Data: b})
	}
	rs, err := detect.LoadSources(srcs...)
	if err != nil {
		return nil, cmdutil.UsageErrorf("invalid rules:\n  %v", err)
	}
	return rs, nil
}

// serveMetrics listens on addr and serves the watcher's metrics until the
// returned function is called.
func serveMetrics(addr string, w *watch.Watcher) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, cmdutil.UsageErrorf("metrics: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(w.Registry(), promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "kguard audit watch: metrics: %v\n", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
