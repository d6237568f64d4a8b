package tls

import (
	"bytes"
	"crypto/rsa"
	cryptotls "crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/tlsutil"
)

// certInfo is what a kubernetes.io/tls Secret holds, parsed.
type certInfo struct {
	chain []*x509.Certificate // leaf first
	// keyMismatch is set when tls.key is present but is not the key of
	// the leaf certificate.
	keyMismatch bool
}

func (c *certInfo) leaf() *x509.Certificate { return c.chain[0] }

// parseSecret parses the certificate chain of a TLS Secret; false when
// the object holds no parsable certificate (metadata only, or not TLS).
func parseSecret(obj *inventory.Object) (*certInfo, bool) {
	s, ok := obj.Typed.(*corev1.Secret)
	if !ok {
		return nil, false
	}
	crt := s.Data[corev1.TLSCertKey]
	if len(crt) == 0 {
		crt = []byte(s.StringData[corev1.TLSCertKey])
	}
	key := s.Data[corev1.TLSPrivateKeyKey]
	if len(key) == 0 {
		key = []byte(s.StringData[corev1.TLSPrivateKeyKey])
	}
	chain, err := tlsutil.ParseCertificates(crt)
	if err != nil || len(chain) == 0 {
		return nil, false
	}
	info := &certInfo{chain: chain}
	if len(key) > 0 {
		if _, err := cryptotls.X509KeyPair(crt, key); err != nil && strings.Contains(err.Error(), "does not match") {
			info.keyMismatch = true
		}
	}
	return info, true
}

// certsBySecret indexes the parsed TLS Secrets by "namespace/name", for
// the Ingress rules.
var certsBySecret = &analysis.Analysis[map[string]*certInfo]{
	Name: "tls.certsBySecret",
	Build: func(inv *inventory.Inventory) map[string]*certInfo {
		out := map[string]*certInfo{}
		for _, o := range inv.ByKind("", "Secret") {
			if info, ok := parseSecret(o); ok {
				out[o.Namespace+"/"+o.Name] = info
			}
		}
		return out
	},
}

// describe names a certificate for messages: its common name or first SAN.
func describe(c *x509.Certificate) string {
	switch {
	case len(c.DNSNames) > 0:
		return fmt.Sprintf("certificate for %s", strings.Join(c.DNSNames, ", "))
	case c.Subject.CommonName != "":
		return fmt.Sprintf("certificate %q", c.Subject.CommonName)
	}
	return "certificate"
}

// certificateNotAfter reads a cert-manager Certificate's status.notAfter.
func certificateNotAfter(obj *inventory.Object) (time.Time, bool) {
	u, ok := obj.Unstructured()
	if !ok {
		return time.Time{}, false
	}
	s, _, _ := unstructured.NestedString(u.Object, "status", "notAfter")
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

const dateLayout = "2006-01-02"

var certRefs = finding.References{
	NSA:   []string{"Network separation and hardening: encrypt traffic"},
	MITRE: []string{"T1557"},
	URLs:  []string{tlsDocs, "https://cert-manager.io/docs/usage/certificate/"},
}

func certExpired() *rules.Rule {
	return &rules.Rule{
		ID:       "tls-certificate-expired",
		Category: finding.CategoryTLS,
		Severity: finding.SeverityHigh,
		Title:    "TLS certificate is expired or not yet valid",
		Rationale: "Clients reject an expired or not-yet-valid certificate, or users learn to click through the " +
			"warning, which is worse: either way the service is down or open to interception.",
		Remediation: "Renew the certificate and update the Secret; let cert-manager issue and renew it " +
			"automatically, and alert on its expiry.",
		References: certRefs,
		Kinds:      certKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			t := p.Now()
			if obj.Kind == "Certificate" {
				if na, ok := certificateNotAfter(obj); ok && t.After(na) {
					p.Reportf(obj, "status.notAfter", "cert-manager Certificate %q expired on %s", obj.Name, na.Format(dateLayout))
				}
				return
			}
			info, ok := parseSecret(obj)
			if !ok {
				return
			}
			for i, c := range info.chain {
				what := describe(c)
				if i > 0 {
					what = "chain certificate " + fmt.Sprint(i) + " (" + c.Subject.CommonName + ")"
				}
				switch {
				case t.After(c.NotAfter):
					p.Reportf(obj, "data[tls.crt]", "%s expired on %s", what, c.NotAfter.Format(dateLayout))
				case t.Before(c.NotBefore):
					p.Reportf(obj, "data[tls.crt]", "%s is not valid until %s", what, c.NotBefore.Format(dateLayout))
				}
			}
		},
	}
}

func certExpiring() *rules.Rule {
	return &rules.Rule{
		ID:       "tls-certificate-expiring",
		Category: finding.CategoryTLS,
		Severity: finding.SeverityMedium,
		Title:    "TLS certificate expires soon",
		Rationale: "A certificate that expires within the warning window (30 days unless tls.expiryWarningDays " +
			"says otherwise) takes its service down on that day unless someone renews it first.",
		Remediation: "Renew it now, and automate renewal (cert-manager renews 30 days before expiry by default).",
		References:  certRefs,
		Kinds:       certKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			t := p.Now()
			warn := p.Settings.CertExpiryWarning
			if warn <= 0 {
				warn = 30 * 24 * time.Hour
			}
			soon := func(na time.Time) bool { return !t.After(na) && na.Sub(t) < warn }
			if obj.Kind == "Certificate" {
				if na, ok := certificateNotAfter(obj); ok && soon(na) {
					p.Reportf(obj, "status.notAfter", "cert-manager Certificate %q expires on %s", obj.Name, na.Format(dateLayout))
				}
				return
			}
			if info, ok := parseSecret(obj); ok && soon(info.leaf().NotAfter) {
				left := int(info.leaf().NotAfter.Sub(t).Hours() / 24)
				p.Reportf(obj, "data[tls.crt]", "%s expires on %s, in %d days", describe(info.leaf()), info.leaf().NotAfter.Format(dateLayout), left)
			}
		},
	}
}

// weakSignatures are the algorithms browsers and Go reject or will.
var weakSignatures = map[x509.SignatureAlgorithm]bool{
	x509.MD2WithRSA: true, x509.MD5WithRSA: true, x509.SHA1WithRSA: true,
	x509.DSAWithSHA1: true, x509.ECDSAWithSHA1: true,
}

func certWeak() *rules.Rule {
	return &rules.Rule{
		ID:       "tls-certificate-weak",
		Category: finding.CategoryTLS,
		Severity: finding.SeverityMedium,
		Title:    "TLS certificate uses a weak key or signature",
		Rationale: "RSA keys under 2048 bits can be factored by a determined attacker, and SHA-1 or MD5 " +
			"signatures can be forged with chosen-prefix collisions; modern clients reject both.",
		Remediation: "Reissue the certificate with an ECDSA P-256 or RSA 2048+ key and a SHA-256 signature " +
			"(cert-manager: spec.privateKey.algorithm ECDSA, or RSA with size 2048 or more).",
		References: certRefs,
		Kinds:      certKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			if obj.Kind == "Certificate" {
				u, ok := obj.Unstructured()
				if !ok {
					return
				}
				alg, _, _ := unstructured.NestedString(u.Object, "spec", "privateKey", "algorithm")
				size, found, _ := unstructured.NestedInt64(u.Object, "spec", "privateKey", "size")
				if (alg == "" || strings.EqualFold(alg, "RSA")) && found && size < 2048 {
					p.Reportf(obj, "spec.privateKey.size", "cert-manager Certificate %q asks for a %d-bit RSA key", obj.Name, size)
				}
				return
			}
			info, ok := parseSecret(obj)
			if !ok {
				return
			}
			for i, c := range info.chain {
				if k, ok := c.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
					p.Reportf(obj, "data[tls.crt]", "%s has a %d-bit RSA key", describe(c), k.N.BitLen())
				}
				// A root's signature on itself is never checked by clients.
				root := i > 0 && bytes.Equal(c.RawIssuer, c.RawSubject)
				if weakSignatures[c.SignatureAlgorithm] && !root {
					p.Reportf(obj, "data[tls.crt]", "%s is signed with %s", describe(c), c.SignatureAlgorithm)
				}
			}
		},
	}
}

func keyMismatch() *rules.Rule {
	return &rules.Rule{
		ID:       "tls-key-mismatch",
		Category: finding.CategoryTLS,
		Severity: finding.SeverityHigh,
		Title:    "TLS Secret's private key does not match its certificate",
		Rationale: "A server given a key that is not the certificate's cannot complete a TLS handshake: the " +
			"Ingress falls back to a default certificate or the service fails.",
		Remediation: "Put the certificate and the key it was issued for in the same Secret (kubectl create secret " +
			"tls NAME --cert=... --key=...), or let cert-manager manage the Secret.",
		References: certRefs,
		Kinds:      certKinds[:1],
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			if info, ok := parseSecret(obj); ok && info.keyMismatch {
				p.Reportf(obj, "data[tls.key]", "tls.key is not the private key of the %s in tls.crt", describe(info.leaf()))
			}
		},
	}
}

// selfSigned reports a certificate signed by its own key. (CheckSignatureFrom
// would also demand that the certificate be a CA, which leaves are not.)
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
