package admission

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"

	"github.com/kguard/kguard/internal/tlsserve"
)

// CertReloader serves a key pair from files and picks up rotated files;
// it is shared with the audit webhook backend (see internal/tlsserve).
type CertReloader = tlsserve.CertReloader

// NewCertReloader loads the pair once and fails if it cannot.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	return tlsserve.NewCertReloader(certFile, keyFile)
}

// SelfSigned is a throwaway CA and a serving certificate signed by it.
type SelfSigned struct {
	CAPEM   []byte
	CertPEM []byte
	KeyPEM  []byte
}

// NewSelfSigned makes a CA and a serving certificate for hosts (DNS names
// or IP addresses), valid for validity.
func NewSelfSigned(hosts []string, validity time.Duration) (*SelfSigned, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kguard webhook CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &SelfSigned{
		CAPEM:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// TLSCertificate returns the serving pair for tls.Config.
func (s *SelfSigned) TLSCertificate() (*tls.Certificate, error) {
	c, err := tls.X509KeyPair(s.CertPEM, s.KeyPEM)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// StaticCertificate serves one certificate for every handshake.
func StaticCertificate(c *tls.Certificate) GetCertificateFunc { return tlsserve.StaticCertificate(c) }
