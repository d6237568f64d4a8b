package tls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "regenerate the certificate fixtures under testdata")

// fixtureNow is the scan time of the certificate fixtures: the generated
// certificates' validity is placed around it, so the fixtures keep their
// meaning whatever the date.
var fixtureNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

type certSpec struct {
	cn        string
	dns       []string
	notBefore time.Time
	notAfter  time.Time
	rsaBits   int // 0: ECDSA P-256
	sigAlg    x509.SignatureAlgorithm
	parent    *issued // nil: self-signed
	ca        bool
}

type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  string
	kpem string
}

var serial int64

func issue(t *testing.T, s certSpec) *issued {
	t.Helper()
	var key crypto.Signer
	var err error
	if s.rsaBits > 0 {
		key, err = rsa.GenerateKey(rand.Reader, s.rsaBits)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: s.cn, Organization: []string{"kguard fixtures"}},
		DNSNames:              s.dns,
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		SignatureAlgorithm:    s.sigAlg,
		BasicConstraintsValid: true,
		IsCA:                  s.ca,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	parent, signer := tmpl, key
	if s.parent != nil {
		parent, signer = s.parent.cert, s.parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatalf("create %s: %v", s.cn, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{
		cert: cert, key: key,
		pem:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		kpem: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})),
	}
}

// tlsSecret renders a kubernetes.io/tls Secret; chain is the leaf then
// intermediates, key the private key PEM to store.
func tlsSecret(name, key string, chain ...*issued) string {
	var crt strings.Builder
	for _, c := range chain {
		crt.WriteString(c.pem)
	}
	return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: shop}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: %s\n  tls.key: %s\n",
		name, base64.StdEncoding.EncodeToString([]byte(crt.String())), base64.StdEncoding.EncodeToString([]byte(key)))
}

func ingress(name, secret string, hosts ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: %s, namespace: shop}\nspec:\n  tls:\n    - secretName: %s\n      hosts: [%s]\n  rules:\n", name, secret, strings.Join(hosts, ", "))
	for _, h := range hosts {
		fmt.Fprintf(&b, "    - host: %s\n      http:\n        paths:\n          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n", h)
	}
	return b.String()
}

func certificate(name, notAfter, extra string) string {
	return fmt.Sprintf("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: %s, namespace: shop}\nspec:\n  secretName: %s-tls\n  dnsNames: [%s.example.com]\n  issuerRef: {name: letsencrypt, kind: ClusterIssuer}\n%sstatus:\n  notAfter: \"%s\"\n", name, name, name, extra, notAfter)
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestGenerateFixtures re-makes the certificate fixtures with fresh keys:
// go test ./internal/rules/tls -run TestGenerateFixtures -update
func TestGenerateFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate the certificate fixtures")
	}
	valid := func(cn string, dns ...string) *issued {
		return issue(t, certSpec{cn: cn, dns: dns, notBefore: day(2026, 1, 1), notAfter: day(2027, 1, 1)})
	}
	ca := issue(t, certSpec{cn: "kguard fixtures CA", notBefore: day(2025, 1, 1), notAfter: day(2030, 1, 1), ca: true})
	signed := func(cn string, dns ...string) *issued {
		return issue(t, certSpec{cn: cn, dns: dns, notBefore: day(2026, 1, 1), notAfter: day(2027, 1, 1), parent: ca})
	}
	expired := issue(t, certSpec{cn: "old", dns: []string{"old.example.com"}, notBefore: day(2025, 5, 1), notAfter: day(2026, 5, 1)})
	future := issue(t, certSpec{cn: "future", dns: []string{"future.example.com"}, notBefore: day(2026, 7, 1), notAfter: day(2027, 7, 1)})
	soon := issue(t, certSpec{cn: "soon", dns: []string{"soon.example.com"}, notBefore: day(2025, 6, 11), notAfter: day(2026, 6, 11)})
	rsa1024 := issue(t, certSpec{cn: "small", dns: []string{"small.example.com"}, notBefore: day(2026, 1, 1), notAfter: day(2027, 1, 1), rsaBits: 1024})
	rsa2048 := issue(t, certSpec{cn: "rsa", dns: []string{"rsa.example.com"}, notBefore: day(2026, 1, 1), notAfter: day(2027, 1, 1), rsaBits: 2048})
	good := valid("shop", "shop.example.com")
	other := valid("other", "other.example.com")
	wild := signed("wildcard", "*.example.com")
	leaf := signed("shop", "shop.example.com")

	files := map[string]string{
		"tls-certificate-expired/fire-expired.yaml": "# expect-count: 3\n# expect-message: certificate for old.example.com expired on 2026-05-01\n" +
			"# expect-message: certificate for future.example.com is not valid until 2026-07-01\n# expect-message: cert-manager Certificate \"api\" expired on 2026-05-15\n" +
			tlsSecret("old-tls", expired.kpem, expired) + "---\n" + tlsSecret("future-tls", future.kpem, future) + "---\n" + certificate("api", "2026-05-15T00:00:00Z", ""),
		"tls-certificate-expired/pass-valid.yaml": "# expect-count: 0\n" +
			tlsSecret("shop-tls", good.kpem, good) + "---\n" + tlsSecret("chain-tls", leaf.kpem, leaf, ca) + "---\n" + certificate("web", "2026-08-30T00:00:00Z", ""),
		"tls-certificate-expiring/fire-soon.yaml": "# expect-count: 2\n# expect-message: certificate for soon.example.com expires on 2026-06-11, in 10 days\n" +
			"# expect-message: cert-manager Certificate \"api\" expires on 2026-06-20\n" +
			tlsSecret("soon-tls", soon.kpem, soon) + "---\n" + certificate("api", "2026-06-20T00:00:00Z", ""),
		"tls-certificate-expiring/pass-later-or-expired.yaml": "# expect-count: 0\n# Already expired is tls-certificate-expired's finding.\n" +
			tlsSecret("shop-tls", good.kpem, good) + "---\n" + tlsSecret("old-tls", expired.kpem, expired) + "---\n" + certificate("web", "2026-08-30T00:00:00Z", ""),
		"tls-certificate-weak/fire-small-key.yaml": "# expect-count: 2\n# expect-message: certificate for small.example.com has a 1024-bit RSA key\n" +
			"# expect-message: cert-manager Certificate \"legacy\" asks for a 1024-bit RSA key\n" +
			tlsSecret("small-tls", rsa1024.kpem, rsa1024) + "---\n" + certificate("legacy", "2026-12-01T00:00:00Z", "  privateKey: {algorithm: RSA, size: 1024}\n"),
		"tls-certificate-weak/pass-strong.yaml": "# expect-count: 0\n" +
			tlsSecret("rsa-tls", rsa2048.kpem, rsa2048) + "---\n" + tlsSecret("shop-tls", good.kpem, good) + "---\n" + certificate("web", "2026-12-01T00:00:00Z", "  privateKey: {algorithm: ECDSA, size: 256}\n"),
		"tls-key-mismatch/fire-wrong-key.yaml": "# expect-count: 1\n# expect-message: tls.key is not the private key of the certificate for shop.example.com in tls.crt\n" +
			tlsSecret("shop-tls", other.kpem, good),
		"tls-key-mismatch/pass-matching.yaml": "# expect-count: 0\n" + tlsSecret("shop-tls", good.kpem, good) + "---\n" + tlsSecret("chain-tls", leaf.kpem, leaf, ca),
		"ingress-tls-self-signed/fire-self-signed.yaml": "# expect-count: 1\n# expect-message: Secret \"shop-tls\" holds a self-signed certificate for shop.example.com\n" +
			tlsSecret("shop-tls", good.kpem, good) + "---\n" + ingress("shop", "shop-tls", "shop.example.com"),
		"ingress-tls-self-signed/pass-ca-signed.yaml": "# expect-count: 0\n# CA-signed, and a Secret that was not scanned (nothing to judge).\n" +
			tlsSecret("shop-tls", leaf.kpem, leaf, ca) + "---\n" + ingress("shop", "shop-tls", "shop.example.com") + "---\n" + ingress("other", "not-scanned", "other.example.com"),
		"ingress-tls-host-mismatch/fire-missing-host.yaml": "# expect-count: 1\n# expect-message: certificate for shop.example.com in Secret \"shop-tls\" does not cover api.example.com\n" +
			tlsSecret("shop-tls", leaf.kpem, leaf, ca) + "---\n" + ingress("shop", "shop-tls", "shop.example.com", "api.example.com"),
		"ingress-tls-host-mismatch/pass-wildcard.yaml": "# expect-count: 0\n" +
			tlsSecret("wild-tls", wild.kpem, wild, ca) + "---\n" + ingress("shop", "wild-tls", "shop.example.com", "api.example.com"),
	}
	for name, content := range files {
		path := filepath.Join("testdata", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		header := "# Generated by TestGenerateFixtures (go test ./internal/rules/tls -run TestGenerateFixtures -update);\n# scanned at " + fixtureNow.Format(time.DateOnly) + ".\n"
		if err := os.WriteFile(path, []byte(header+content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
