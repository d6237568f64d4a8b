package tlsserve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Defaults for zero Server fields.
const (
	DefaultReadTimeout   = 10 * time.Second
	DefaultWriteTimeout  = 15 * time.Second
	DefaultShutdownGrace = 10 * time.Second
)

// Server runs Handler until its context ends. Its timeouts cut clients
// that send headers or bodies slowly: the API server sends each request
// whole.
type Server struct {
	Handler http.Handler
	// TLSConfig is the TLS configuration (see ServerConfig); nil serves
	// plain HTTP, which only local testing should do.
	TLSConfig *tls.Config
	Logger    *slog.Logger
	// ReadTimeout bounds reading a request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the
	// end of the response.
	WriteTimeout time.Duration
	// ShutdownGrace is how long in-flight requests may finish on stop.
	ShutdownGrace time.Duration

	ready atomic.Bool
}

// HandleProbes adds the probe endpoints to mux: /healthz answers while the
// process runs, /readyz while the server accepts requests (not during
// shutdown).
func (s *Server) HandleProbes(mux *http.ServeMux) {
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
}

// Serve accepts on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler,
		TLSConfig:         s.TLSConfig,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       orDefault(s.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      orDefault(s.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger().Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	scheme := "https"
	if s.TLSConfig != nil {
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		scheme = "http"
		go func() { errc <- srv.Serve(ln) }()
	}
	s.ready.Store(true)
	s.logger().Info("serving", "addr", ln.Addr().String(), "scheme", scheme)
	select {
	case err := <-errc:
		s.ready.Store(false)
		return err
	case <-ctx.Done():
	}
	s.ready.Store(false)
	sctx, cancel := context.WithTimeout(context.Background(), orDefault(s.ShutdownGrace, DefaultShutdownGrace))
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (s *Server) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}
