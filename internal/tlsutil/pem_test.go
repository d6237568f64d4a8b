package tlsutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestParseCertificates(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert := func(cn string) []byte {
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("not parsed")})
	bad := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")})

	data := append(append(append([]byte("leading text\n"), cert("leaf")...), keyPEM...), cert("ca")...)
	got, err := ParseCertificates(data)
	if err != nil || len(got) != 2 || got[0].Subject.CommonName != "leaf" || got[1].Subject.CommonName != "ca" {
		t.Fatalf("got %d certificates, %v; want leaf then ca", len(got), err)
	}
	if got, err := ParseCertificates(keyPEM); err != nil || len(got) != 0 {
		t.Errorf("key only: %d certificates, %v; want none and no error", len(got), err)
	}
	if _, err := ParseCertificates(append(cert("leaf"), bad...)); err == nil || !strings.HasPrefix(err.Error(), "certificate 2: ") {
		t.Errorf("bad second certificate: %v, want an error naming certificate 2", err)
	}
}
