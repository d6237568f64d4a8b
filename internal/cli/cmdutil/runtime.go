package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kguard/kguard/internal/detect"
)

// LoadRuntimeRules compiles the default detection rules and then the
// files (--rules); any error in them is a usage error.
func LoadRuntimeRules(files []string) (*detect.RuleSet, error) {
	srcs := detect.DefaultSources()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, UsageErrorf("rules: %v", err)
		}
		srcs = append(srcs, detect.Source{Name: f, Data: b})
	}
	rs, err := detect.LoadSources(srcs...)
	if err != nil {
		return nil, UsageErrorf("invalid rules:\n  %v", err)
	}
	return rs, nil
}

// ServeMetrics serves g at http://addr/metrics until the returned
// function is called; errors after the start are printed to errOut.
func ServeMetrics(addr string, g prometheus.Gatherer, errOut io.Writer) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, UsageErrorf("metrics: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(errOut, "metrics: %v\n", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// LockedPrinter returns a function printing errors to w, one a line after
// prefix; safe to call from several goroutines (alert webhooks do).
func LockedPrinter(w io.Writer, prefix string) func(error) {
	var mu sync.Mutex
	return func(err error) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "%s%v\n", prefix, err)
	}
}

// AlertOutput opens path for appending alerts (mode 0600); "" or "-" is
// def. The returned function closes the file.
func AlertOutput(path string, def io.Writer) (io.Writer, func(), error) {
	if path == "" || path == "-" {
		return def, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, UsageErrorf("output: %v", err)
	}
	return f, func() { f.Close() }, nil
}
