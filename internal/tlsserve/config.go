package tlsserve

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
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
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", file, n+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate", file)
	}
	return pool, nil
}

// HasVerifiedClientCert reports whether the request came over TLS with a
// client certificate that the server's ClientCAs verified.
func HasVerifiedClientCert(r *http.Request) bool {
	return r.TLS != nil && len(r.TLS.VerifiedChains) > 0
}
