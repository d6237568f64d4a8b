package tlsutil

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// ParseCertificates returns the CERTIFICATE blocks of PEM data in order,
// skipping other blocks (keys, parameters). A block that does not parse is
// an error naming its position among the certificates.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return out, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(out)+1, err)
		}
		out = append(out, c)
	}
}
