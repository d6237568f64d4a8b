// Package tlsserve serves kguard's HTTPS endpoints: the admission webhook
// (internal/admission) and the audit webhook backend of `kguard audit
// watch --listen`. Both are called by the API server, run in a cluster
// with certificates that cert-manager rotates, and must not be held open
// by slow clients, so they share one implementation:
//
//   - CertReloader serves the certificate of a key pair on disk and picks
//     up a rotated pair without a restart;
//   - ServerConfig is the TLS configuration: TLS 1.2 at least, and
//     optional client certificate verification;
//   - Server runs an http.Server with timeouts against slow clients,
//     /healthz and /readyz probes, and a graceful shutdown.
package tlsserve
