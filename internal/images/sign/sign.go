package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/images/access"
)

// Media and artifact types of Sigstore bundles stored as OCI referrers
// (cosign's bundle format).
const (
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	emptyMediaType  = "application/vnd.oci.empty.v1+json"
	// PredicateAnnotation names the predicate type of an attestation
	// bundle; signature bundles carry SignaturePredicate.
	PredicateAnnotation = "dev.sigstore.bundle.predicateType"
	SignaturePredicate  = "https://sigstore.dev/cosign/sign/v1"
)

// maxBundleBytes bounds a bundle read from a registry.
const maxBundleBytes = 4 << 20

// Verifier checks images against a signature policy.
type Verifier struct {
	keys         *root.TrustedPublicKeyMaterial
	keyHints     map[string]string // hint -> key file
	certs        root.TrustedMaterial
	identities   []verify.CertificateIdentity
	attestations []string
}

// NewVerifier loads the keys and trust root the policy names. Relative
// paths are read from dir (the config file's directory).
func NewVerifier(p config.SignaturePolicy, dir string) (*Verifier, error) {
	v := &Verifier{keyHints: map[string]string{}, attestations: p.Attestations}
	keys := map[string]*root.ExpiringKey{}
	for _, f := range p.Keys {
		path := resolve(dir, f)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("signature key: %w", err)
		}
		pub, err := cryptoutils.UnmarshalPEMToPublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("signature key %s: not a PEM public key: %v", path, err)
		}
		sv, err := signature.LoadDefaultVerifier(pub)
		if err != nil {
			return nil, fmt.Errorf("signature key %s: %w", path, err)
		}
		hint, err := KeyHint(pub)
		if err != nil {
			return nil, fmt.Errorf("signature key %s: %w", path, err)
		}
		keys[hint] = root.NewExpiringKey(sv, time.Time{}, time.Time{})
		v.keyHints[hint] = path
	}
	if len(keys) > 0 {
		v.keys = root.NewTrustedPublicKeyMaterialFromMapping(keys)
	}
	if p.TrustedRoot != "" {
		tm, err := loadTrustRoot(resolve(dir, p.TrustedRoot))
		if err != nil {
			return nil, err
		}
		v.certs = tm
	}
	for i, id := range p.Identities {
		ci, err := verify.NewShortCertificateIdentity(id.Issuer, id.IssuerRegExp, id.Subject, id.SubjectRegExp)
		if err != nil {
			return nil, fmt.Errorf("images.signatures.identities[%d]: %w", i, err)
		}
		v.identities = append(v.identities, ci)
	}
	return v, nil
}

func resolve(dir, p string) string {
	if dir == "" || strings.HasPrefix(p, "/") {
		return p
	}
	return dir + "/" + p
}

// KeyHint is the Sigstore key hint of a public key: the base64 SHA-256 of
// its PKIX encoding, which bundles signed with a key carry.
func KeyHint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return base64.StdEncoding.EncodeToString(sum[:]), nil
}

// loadTrustRoot reads a Sigstore trusted_root.json or a PEM bundle of CA
// certificates (root last or first; the self-signed one is the root).
func loadTrustRoot(path string) (root.TrustedMaterial, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trust root: %w", err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		tr, err := root.NewTrustedRootFromJSON(data)
		if err != nil {
			return nil, fmt.Errorf("trust root %s: %w", path, err)
		}
		return tr, nil
	}
	var ca root.FulcioCertificateAuthority
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
			return nil, fmt.Errorf("trust root %s: %w", path, err)
		}
		if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil && ca.Root == nil {
			ca.Root = c
		} else {
			ca.Intermediates = append(ca.Intermediates, c)
		}
	}
	if ca.Root == nil {
		return nil, fmt.Errorf("trust root %s: no self-signed CA certificate (want trusted_root.json or a PEM CA bundle)", path)
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{&ca}, nil, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("trust root %s: %w", path, err)
	}
	return tr, nil
}

// Result is the verdict for one image.
type Result struct {
	Ref    string `json:"image"`
	Digest string `json:"digest,omitempty"`
	// Verified is true when a signature by an accepted key or identity
	// covers the image's digest, and every required attestation is there.
	Verified bool `json:"verified"`
	// Signer names the key file or the certificate identity.
	Signer string `json:"signer,omitempty"`
	// Attestations are the verified predicate types.
	Attestations []string `json:"attestations,omitempty"`
	// Rejected says why each bundle found was not accepted, and what was
	// missing.
	Rejected []string `json:"rejected,omitempty"`
}

// Reason is a one-line explanation of an unverified result.
func (r *Result) Reason() string {
	if r.Verified {
		return "signed by " + r.Signer
	}
	if len(r.Rejected) == 0 {
		return "no signature"
	}
	return strings.Join(r.Rejected, "; ")
}

// Verify resolves ref (a registry reference) to the digest of the
// manifest it names (an index for a multi-platform image: that is what
// gets signed) and checks the Sigstore bundles attached to that digest as
// OCI referrers. An error means the registry could not be asked; an
// unsigned or wrongly signed image is a Result with Verified false.
func (v *Verifier) Verify(ctx context.Context, ref string, ao access.Options) (*Result, error) {
	d, err := Resolve(ctx, ref, ao)
	if err != nil {
		return nil, err
	}
	return v.VerifyDigest(ctx, d, ao, ref)
}

// Resolve returns the digest ref names: the reference itself when it has
// one, else one HEAD request to the registry.
func Resolve(ctx context.Context, ref string, ao access.Options) (name.Digest, error) {
	kind, rest := access.ParseKind(ref)
	if kind != access.Registry {
		return name.Digest{}, fmt.Errorf("image %s: signatures are verified for registry images only", ref)
	}
	r, err := ao.ParseReference(rest)
	if err != nil {
		return name.Digest{}, fmt.Errorf("image %s: bad reference: %w", ref, err)
	}
	if d, ok := r.(name.Digest); ok {
		return d, nil
	}
	desc, err := remote.Head(r, ao.RemoteOptions(ctx)...)
	if err != nil {
		return name.Digest{}, fmt.Errorf("image %s: registry %s: %w", ref, r.Context().RegistryStr(), err)
	}
	return r.Context().Digest(desc.Digest.String()), nil
}

// VerifyDigest checks the bundles attached to d.
func (v *Verifier) VerifyDigest(ctx context.Context, d name.Digest, ao access.Options, ref string) (*Result, error) {
	res := &Result{Ref: ref, Digest: d.DigestStr()}
	want, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return nil, err
	}
	rawDigest, _ := hex.DecodeString(want.Hex)
	bundles, err := fetchBundles(d, ao.RemoteOptions(ctx))
	if err != nil {
		return nil, fmt.Errorf("image %s: signatures: %w", ref, err)
	}
	verifiedPredicates := map[string]bool{}
	for i, fb := range bundles {
		where := fmt.Sprintf("bundle %d (%s)", i+1, fb.predicate)
		if fb.err != nil {
			res.Rejected = append(res.Rejected, fmt.Sprintf("%s: %v", where, fb.err))
			continue
		}
		signer, err := v.verifyBundle(fb.bundle, rawDigest)
		if err != nil {
			res.Rejected = append(res.Rejected, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		if fb.predicate == SignaturePredicate || fb.predicate == "" {
			if res.Signer == "" {
				res.Signer = signer
			}
		} else {
			verifiedPredicates[fb.predicate] = true
		}
	}
	for p := range verifiedPredicates {
		res.Attestations = append(res.Attestations, p)
	}
	res.Verified = res.Signer != ""
	for _, p := range v.attestations {
		if !verifiedPredicates[p] {
			res.Verified = false
			res.Rejected = append(res.Rejected, "no valid attestation of type "+p)
		}
	}
	if res.Signer == "" && len(bundles) == 0 {
		res.Rejected = append(res.Rejected, "no signature attached to "+res.Digest)
	}
	return res, nil
}

// verifyBundle verifies b as covering the manifest digest, with the keys
// (for key-signed bundles) or the trust root and identities (for
// certificate-signed ones), and names the signer.
func (v *Verifier) verifyBundle(b *bundle.Bundle, digest []byte) (string, error) {
	vc, err := b.VerificationContent()
	if err != nil {
		return "", err
	}
	artifact := verify.WithArtifactDigest("sha256", digest)
	if pk := vc.PublicKey(); pk != nil {
		if v.keys == nil {
			return "", errors.New("signed with a key, and the policy lists no keys")
		}
		file, ok := v.keyHints[pk.Hint()]
		if !ok {
			return "", errors.New("signed with a key the policy does not list")
		}
		ver, err := verify.NewVerifier(v.keys, verify.WithNoObserverTimestamps())
		if err != nil {
			return "", err
		}
		if _, err := ver.Verify(b, verify.NewPolicy(artifact, verify.WithKey())); err != nil {
			return "", err
		}
		return "key " + file, nil
	}
	if v.certs == nil || len(v.identities) == 0 {
		return "", errors.New("signed with a certificate, and the policy lists no trust root and identities")
	}
	// A trust root given as files has no transparency log or timestamp
	// authority to ask: certificates are judged at the current time (long-
	// lived certificates of a private CA).
	ver, err := verify.NewVerifier(v.certs, verify.WithCurrentTime())
	if err != nil {
		return "", err
	}
	opts := make([]verify.PolicyOption, 0, len(v.identities))
	for _, id := range v.identities {
		opts = append(opts, verify.WithCertificateIdentity(id))
	}
	out, err := ver.Verify(b, verify.NewPolicy(artifact, opts...))
	if err != nil {
		return "", err
	}
	if out.VerifiedIdentity != nil {
		return fmt.Sprintf("%s (issuer %s)", out.Signature.Certificate.SubjectAlternativeName, out.VerifiedIdentity.Issuer.Issuer), nil
	}
	return "certificate", nil
}

type fetchedBundle struct {
	predicate string
	bundle    *bundle.Bundle
	err       error
}

// fetchBundles lists d's referrers (the OCI referrers API, or the tag
// schema where a registry lacks it) and reads each Sigstore bundle.
func fetchBundles(d name.Digest, ropts []remote.Option) ([]fetchedBundle, error) {
	idx, err := remote.Referrers(d, ropts...)
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []fetchedBundle
	for _, desc := range im.Manifests {
		// Registries report the manifest's artifactType, or its config's
		// media type when they predate artifactType (the empty config of
		// a bundle artifact); the layer's media type decides.
		if desc.ArtifactType != BundleMediaType && desc.ArtifactType != emptyMediaType {
			continue
		}
		fb := fetchedBundle{predicate: desc.Annotations[PredicateAnnotation]}
		fb.bundle, fb.err = readBundle(d.Context().Digest(desc.Digest.String()), ropts)
		if errors.Is(fb.err, errNotBundle) {
			continue // another kind of artifact (an SBOM, say)
		}
		out = append(out, fb)
	}
	return out, nil
}

var errNotBundle = errors.New("not a Sigstore bundle artifact")

func readBundle(ref name.Digest, ropts []remote.Option) (*bundle.Bundle, error) {
	desc, err := remote.Get(ref, ropts...)
	if err != nil {
		return nil, err
	}
	var m v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		return nil, fmt.Errorf("bundle manifest: %w", err)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != BundleMediaType || m.Layers[0].Size > maxBundleBytes {
		return nil, errNotBundle
	}
	l, err := remote.Layer(ref.Context().Digest(m.Layers[0].Digest.String()), ropts...)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxBundleBytes+1))
	if err != nil {
		return nil, err
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	return &b, nil
}

// Attach stores a Sigstore bundle as an OCI referrer of the manifest d
// (cosign's bundle format): an artifact manifest whose one layer is the
// bundle. predicate is SignaturePredicate for a signature, the in-toto
// predicate type for an attestation.
func Attach(d name.Digest, subject v1.Descriptor, bundleJSON []byte, predicate string, ropts []remote.Option) error {
	repo := d.Context()
	cfg := static.NewLayer([]byte("{}"), emptyMediaType)
	layer := static.NewLayer(bundleJSON, BundleMediaType)
	for _, l := range []v1.Layer{cfg, layer} {
		if err := remote.WriteLayer(repo, l, ropts...); err != nil {
			return err
		}
	}
	desc := func(l v1.Layer, mt types.MediaType) v1.Descriptor {
		h, _ := l.Digest()
		n, _ := l.Size()
		return v1.Descriptor{MediaType: mt, Digest: h, Size: n}
	}
	subject.Platform, subject.Annotations, subject.ArtifactType = nil, nil, ""
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  BundleMediaType,
		Config:        desc(cfg, emptyMediaType),
		Layers:        []v1.Descriptor{desc(layer, BundleMediaType)},
		Subject:       &subject,
		Annotations:   map[string]string{PredicateAnnotation: predicate},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	return remote.Put(repo.Digest("sha256:"+hex.EncodeToString(sum[:])), rawManifest{raw, types.OCIManifestSchema1}, ropts...)
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }
