package tlsserve

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// GetCertificateFunc supplies a serving certificate per handshake.
type GetCertificateFunc = func(*tls.ClientHelloInfo) (*tls.Certificate, error)

// CertReloader serves the certificate in a pair of files and picks up new
// files when they change (cert-manager rotates them in place), without a
// restart. A failed reload keeps the last good certificate.
type CertReloader struct {
	certFile, keyFile string
	// now is the clock for the reload throttle (time.Now; tests move it).
	now func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
	checked time.Time
}

// NewCertReloader loads the pair once and fails if it cannot. The error
// names the files.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	r := &CertReloader{certFile: certFile, keyFile: keyFile, now: time.Now}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *CertReloader) load() error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load TLS key pair %s, %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert = &cert
	r.modTime = r.latestModTime()
	return nil
}

func (r *CertReloader) latestModTime() time.Time {
	var t time.Time
	for _, f := range []string{r.certFile, r.keyFile} {
		if info, err := os.Stat(f); err == nil && info.ModTime().After(t) {
			t = info.ModTime()
		}
	}
	return t
}

// GetCertificate is for tls.Config. It looks at the files at most once a
// second, so handshakes stay cheap.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := r.now(); now.Sub(r.checked) >= time.Second {
		r.checked = now
		if mt := r.latestModTime(); mt.After(r.modTime) {
			old := r.cert
			if err := r.load(); err != nil {
				r.cert = old // keep serving the last good pair
			}
		}
	}
	return r.cert, nil
}

// StaticCertificate serves one certificate for every handshake.
func StaticCertificate(c *tls.Certificate) GetCertificateFunc {
	return func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c, nil }
}
