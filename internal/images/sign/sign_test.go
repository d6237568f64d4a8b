package sign_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/imagetest"
	"github.com/kguard/kguard/internal/images/sign"
	"github.com/kguard/kguard/internal/images/signtest"
)

func image(t *testing.T, marker string) []imagetest.File {
	return []imagetest.File{{Path: "etc/marker", Content: []byte(marker)}}
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func verifier(t *testing.T, p config.SignaturePolicy) *sign.Verifier {
	t.Helper()
	v, err := sign.NewVerifier(p, "")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestKeySignatures: an image signed in the test with a generated key
// verifies; one signed by another key, an unsigned one and a tampered one
// (the first image's signature attached to different content) do not.
func TestKeySignatures(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	signed := reg.Push(t, "app:signed", imagetest.Image(t, "", imagetest.Layer(t, image(t, "a")...)))
	other := reg.Push(t, "app:other", imagetest.Image(t, "", imagetest.Layer(t, image(t, "b")...)))
	unsigned := reg.Push(t, "app:unsigned", imagetest.Image(t, "", imagetest.Layer(t, image(t, "c")...)))
	tampered := reg.Push(t, "app:tampered", imagetest.Image(t, "", imagetest.Layer(t, image(t, "d")...)))

	good, _ := signtest.NewKeySigner()
	stranger, _ := signtest.NewKeySigner()
	sign1 := func(s *signtest.Signer, ref string) {
		r, _ := name.ParseReference(ref)
		if err := s.SignImage(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	sign1(good, signed)
	sign1(stranger, other)
	// Tamper: the signature of "signed" attached to another image.
	sd, _ := remote.Get(mustRef(t, signed))
	td, _ := remote.Get(mustRef(t, tampered))
	b, err := good.SignDigest(sd.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := sign.Attach(mustRef(t, tampered).Context().Digest(td.Digest.String()), td.Descriptor, b, sign.SignaturePredicate, nil); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	pub, _ := good.PublicKeyPEM()
	key := writeFile(t, dir, "cosign.pub", pub)
	v := verifier(t, config.SignaturePolicy{Keys: []string{key}})
	for _, tc := range []struct {
		ref      string
		verified bool
		reason   string
	}{
		{signed, true, "signed by key " + key},
		{other, false, "signed with a key the policy does not list"},
		{unsigned, false, "no signature attached"},
		{tampered, false, "bundle 1 (" + sign.SignaturePredicate + "):"},
	} {
		res, err := v.Verify(ctx, tc.ref, access.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Verified != tc.verified || !strings.Contains(res.Reason(), tc.reason) {
			t.Errorf("%s: verified %v (%s), want %v (%s)", tc.ref, res.Verified, res.Reason(), tc.verified, tc.reason)
		}
	}
	// The tampered signature fails on the digest, not on the key.
	res, _ := v.Verify(ctx, tampered, access.Options{})
	if strings.Contains(res.Reason(), "does not list") {
		t.Errorf("tampered: %s", res.Reason())
	}

	// A policy that trusts the stranger's key accepts "other" instead:
	// the negative above is about the key, not the format.
	spub, _ := stranger.PublicKeyPEM()
	v2 := verifier(t, config.SignaturePolicy{Keys: []string{writeFile(t, dir, "stranger.pub", spub)}})
	if res, _ := v2.Verify(ctx, other, access.Options{}); !res.Verified {
		t.Errorf("other with its own key: %s", res.Reason())
	}
	if res, _ := v2.Verify(ctx, signed, access.Options{}); res.Verified {
		t.Error("signed verified with the stranger's key")
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAttestations: a required predicate type must be attested, signed by
// a trusted key, about the image's digest.
func TestAttestations(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	ref := reg.Push(t, "app:1", imagetest.Image(t, "", imagetest.Layer(t, image(t, "a")...)))
	s, _ := signtest.NewKeySigner()
	r := mustRef(t, ref)
	if err := s.SignImage(r, nil); err != nil {
		t.Fatal(err)
	}
	pub, _ := s.PublicKeyPEM()
	key := writeFile(t, t.TempDir(), "k.pub", pub)
	const slsa = "https://slsa.dev/provenance/v1"
	v := verifier(t, config.SignaturePolicy{Keys: []string{key}, Attestations: []string{slsa}})
	res, err := v.Verify(ctx, ref, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified || !strings.Contains(res.Reason(), "no valid attestation of type "+slsa) {
		t.Errorf("without attestation: %v %s", res.Verified, res.Reason())
	}
	desc, _ := remote.Get(r)
	att, err := s.Attest(desc.Digest, slsa, map[string]any{"buildDefinition": map[string]any{"buildType": "test"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sign.Attach(r.Context().Digest(desc.Digest.String()), desc.Descriptor, att, slsa, nil); err != nil {
		t.Fatal(err)
	}
	res, _ = v.Verify(ctx, ref, access.Options{})
	if !res.Verified || len(res.Attestations) != 1 || res.Attestations[0] != slsa {
		t.Errorf("with attestation: %v %s %v", res.Verified, res.Reason(), res.Attestations)
	}
}

// TestCertificateIdentity: keyless-style signing with a certificate from a
// private CA given as a file; the identity must match.
func TestCertificateIdentity(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	ref := reg.Push(t, "app:1", imagetest.Image(t, "", imagetest.Layer(t, image(t, "a")...)))
	ca, err := signtest.NewTestCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ca.Issuer, ca.SAN = "https://issuer.example", "https://ci.example/acme/app/release@refs/heads/main"
	s, _ := signtest.NewKeySigner()
	s.Cert = ca
	if err := s.SignImage(mustRef(t, ref), nil); err != nil {
		t.Fatal(err)
	}
	root := writeFile(t, t.TempDir(), "ca.pem", ca.PEM())
	ok := verifier(t, config.SignaturePolicy{TrustedRoot: root, Identities: []config.SignerIdentity{{Issuer: ca.Issuer, SubjectRegExp: `^https://ci\.example/acme/`}}})
	res, err := ok.Verify(ctx, ref, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified || !strings.Contains(res.Signer, ca.SAN) {
		t.Errorf("matching identity: %v %s", res.Verified, res.Reason())
	}
	wrong := verifier(t, config.SignaturePolicy{TrustedRoot: root, Identities: []config.SignerIdentity{{Issuer: ca.Issuer, Subject: "https://ci.example/other"}}})
	if res, _ := wrong.Verify(ctx, ref, access.Options{}); res.Verified {
		t.Error("verified with another identity")
	}
	otherCA, _ := signtest.NewTestCA(time.Now())
	untrusted := verifier(t, config.SignaturePolicy{TrustedRoot: writeFile(t, t.TempDir(), "o.pem", otherCA.PEM()),
		Identities: []config.SignerIdentity{{Issuer: ca.Issuer, SubjectRegExp: ".*"}}})
	if res, _ := untrusted.Verify(ctx, ref, access.Options{}); res.Verified {
		t.Error("verified against another CA")
	}
}
