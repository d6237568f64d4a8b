package tlsserve

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"

	"github.com/kguard/kguard/internal/tlsutil"
)

// ServerConfig is the TLS configuration of a kguard server: TLS 1.2 at
// least, and the certificate from getCert.
//
// With clientCAs, a client certificate, when one is presented, must be
// signed by one of them or the handshake fails. Whether a request must
// carry one is left to the handler (see HasVerifiedClientCert): kubelet
// probes present no certificate and must still reach /healthz on the same
// port.
func ServerConfig(getCert GetCertificateFunc, clientCAs *x509.CertPool) *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: getCert}
	if clientCAs != nil {
		c.ClientCAs = clientCAs
		c.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return c
}

// LoadCertPool reads the PEM certificates of file (a CA bundle). A file
// without any certificate is an error.
func LoadCertPool(file string) (*x509.CertPool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	certs, err := tlsutil.ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", file)
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// HasVerifiedClientCert reports whether the request came over TLS with a
// client certificate that the server's ClientCAs verified.
func HasVerifiedClientCert(r *http.Request) bool {
	return r.TLS != nil && len(r.TLS.VerifiedChains) > 0
}
