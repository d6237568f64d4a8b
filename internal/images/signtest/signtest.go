// Package signtest signs images the way cosign's bundle format does, with
// sigstore-go's own signer, and issues certificates from a private test CA:
// the signing side, which kguard itself does not need, for tests.
package signtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/url"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	sgsign "github.com/sigstore/sigstore-go/pkg/sign"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/kguard/kguard/internal/images/sign"
)

// Signer signs image digests with one key, optionally with a certificate
// from a CA (keyless signing with a private CA).
type Signer struct {
	Keypair *sgsign.EphemeralKeypair
	// Cert, when set, issues the certificate put in bundles.
	Cert sgsign.CertificateProvider
}

// NewKeySigner generates a P-256 key.
func NewKeySigner() (*Signer, error) {
	kp, err := sgsign.NewEphemeralKeypair(nil)
	if err != nil {
		return nil, err
	}
	return &Signer{Keypair: kp}, nil
}

// PublicKeyPEM is the signer's public key, for a policy's keys.
func (s *Signer) PublicKeyPEM() ([]byte, error) {
	p, err := s.Keypair.GetPublicKeyPem()
	return []byte(p), err
}

// SignDigest returns a signature bundle over the manifest with digest d
// (a message signature whose digest is the manifest digest).
func (s *Signer) SignDigest(manifest []byte) ([]byte, error) {
	return s.bundle(&sgsign.PlainData{Data: manifest})
}

// Attest returns a DSSE bundle of an in-toto statement about digest.
func (s *Signer) Attest(digest v1.Hash, predicateType string, predicate any) ([]byte, error) {
	stmt := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "image", "digest": map[string]string{digest.Algorithm: digest.Hex}}},
		"predicateType": predicateType,
		"predicate":     predicate,
	}
	data, err := json.Marshal(stmt)
	if err != nil {
		return nil, err
	}
	return s.bundle(&sgsign.DSSEData{Data: data, PayloadType: "application/vnd.in-toto+json"})
}

func (s *Signer) bundle(c sgsign.Content) ([]byte, error) {
	pb, err := sgsign.Bundle(c, s.Keypair, sgsign.BundleOptions{CertificateProvider: s.Cert, Context: context.Background()})
	if err != nil {
		return nil, err
	}
	return protojson.Marshal(pb)
}

// SignImage signs the manifest ref resolves to and attaches the bundle.
func (s *Signer) SignImage(ref name.Reference, ropts []remote.Option) error {
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return err
	}
	b, err := s.SignDigest(desc.Manifest)
	if err != nil {
		return err
	}
	return sign.Attach(ref.Context().Digest(desc.Digest.String()), desc.Descriptor, b, sign.SignaturePredicate, ropts)
}

// TestCA is a private certificate authority issuing code-signing
// certificates with a Fulcio-style OIDC issuer extension.
type TestCA struct {
	Cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// Issuer and SAN are what the next certificate says.
	Issuer string
	SAN    string
}

// NewTestCA creates a self-signed CA valid around now.
func NewTestCA(now time.Time) (*TestCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kguard test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return &TestCA{Cert: cert, key: key}, err
}

// PEM is the CA certificate, for a policy's trustedRoot.
func (ca *TestCA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// GetCertificate implements sigstore-go's CertificateProvider: a leaf for
// the keypair's public key naming SAN and Issuer.
func (ca *TestCA) GetCertificate(_ context.Context, kp sgsign.Keypair, _ *sgsign.CertificateProviderOptions) ([]byte, error) {
	u, err := url.Parse(ca.SAN)
	if err != nil {
		return nil, err
	}
	issuer, err := asn1.MarshalWithParams(ca.Issuer, "utf8")
	if err != nil {
		return nil, err
	}
	serial := make([]byte, 8)
	rand.Read(serial)
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(serial),
		NotBefore:    ca.Cert.NotBefore, NotAfter: ca.Cert.NotAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		URIs:        []*url.URL{u},
		// Fulcio's OIDC issuer (v2) extension, 1.3.6.1.4.1.57264.1.8.
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}, Value: issuer}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, kp.GetPublicKey(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate: %w", err)
	}
	return der, nil
}
