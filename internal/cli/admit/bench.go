package admit

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/admission"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/rules"
)

// BenchOptions are the flags of `kguard admit bench`.
type BenchOptions struct {
	Streams *cmdutil.Streams
	// Registry is the rules of the in-process webhook (without URL).
	Registry func() (*rules.Registry, error)

	URL      string
	Rate     int
	Duration time.Duration
	Workers  int
}

func newBenchCmd(s *cmdutil.Streams, reg func() (*rules.Registry, error), run func(context.Context, *BenchOptions) error) *cobra.Command {
	o := &BenchOptions{Streams: s, Registry: reg}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load-test a webhook with realistic AdmissionReviews",
		Long: `Send AdmissionReviews for a typical Deployment at a fixed rate (open loop,
so a slow server cannot hide its latency by slowing the sender) and print
latency percentiles, errors and heap use.

Without --url, a webhook with every rule is started in this process on a
loopback port with a throwaway certificate. Only point --url at servers
you run: this is a load generator.`,
		Example: `  kguard admit bench --rate 1000 --duration 60s
  kguard admit bench --url https://127.0.0.1:8443/validate --rate 200 --duration 10s`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd.Context(), o) },
	}
	cmd.Flags().StringVar(&o.URL, "url", "", "webhook URL (default: an in-process webhook on loopback)")
	cmd.Flags().IntVar(&o.Rate, "rate", 1000, "requests per second")
	cmd.Flags().DurationVar(&o.Duration, "duration", 10*time.Second, "how long to send")
	cmd.Flags().IntVar(&o.Workers, "workers", 64, "requests in flight at most")
	return cmd
}

// RunBench sends the load and prints the result; requests that failed
// make it exit 1.
func RunBench(ctx context.Context, o *BenchOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.Duration > 10*time.Minute || o.Rate > 20000 {
		return cmdutil.UsageErrorf("bench is bounded: at most 10m and 20000 requests/s")
	}
	url := o.URL
	if url == "" {
		r, err := o.Registry()
		if err != nil {
			return fmt.Errorf("rule registry: %w", err)
		}
		u, stop, err := startLocal(ctx, r)
		if err != nil {
			return err
		}
		defer stop()
		url = u
	}
	res, err := admission.RunLoad(ctx, admission.LoadOptions{URL: url, Rate: o.Rate, Duration: o.Duration, Workers: o.Workers})
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	fmt.Fprintln(o.Streams.Out, res)
	if res.Errors > 0 {
		return cmdutil.Exit(cmdutil.ExitFindings)
	}
	return nil
}

// startLocal runs a webhook with every rule on a loopback port.
func startLocal(ctx context.Context, reg *rules.Registry) (string, func(), error) {
	ss, err := admission.NewSelfSigned([]string{"127.0.0.1"}, time.Hour)
	if err != nil {
		return "", nil, err
	}
	cert, err := ss.TLSCertificate()
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	srv := &admission.Server{
		Handler:        &admission.Handler{Registry: reg, DefaultMode: admission.ModeBaseline},
		GetCertificate: admission.StaticCertificate(cert),
	}
	done := make(chan struct{})
	go func() { _ = srv.Serve(ctx, ln); close(done) }()
	return "https://" + ln.Addr().String() + "/validate", func() { cancel(); <-done }, nil
}
