package admission

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kguard/kguard/internal/tlsserve"
)

// GetCertificateFunc supplies a serving certificate per handshake.
type GetCertificateFunc = tlsserve.GetCertificateFunc

// Server runs the webhook over HTTPS: /validate for AdmissionReviews,
// /healthz and /readyz for probes, /metrics for Prometheus. TLS, timeouts
// and shutdown are internal/tlsserve's.
type Server struct {
	Handler *Handler
	// GetCertificate supplies the serving certificate (a CertReloader's).
	GetCertificate func(*tls.ClientHelloInfo) (*tls.Certificate, error)
	Logger         *slog.Logger
	// ShutdownGrace is how long in-flight requests may finish on stop.
	ShutdownGrace time.Duration
}

// Serve accepts on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &tlsserve.Server{
		TLSConfig: tlsserve.ServerConfig(s.GetCertificate, nil),
		Logger:    s.Logger, ShutdownGrace: s.ShutdownGrace,
	}
	mux := http.NewServeMux()
	mux.Handle("/validate", s.Handler)
	srv.HandleProbes(mux)
	if s.Handler.Metrics != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(s.Handler.Metrics.Registry, promhttp.HandlerOpts{}))
	}
	srv.Handler = mux
	return srv.Serve(ctx, ln)
}
