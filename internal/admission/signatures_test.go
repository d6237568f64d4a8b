package admission_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kguard/kguard/internal/admission"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/imagetest"
	"github.com/kguard/kguard/internal/images/sign"
	"github.com/kguard/kguard/internal/images/signtest"
	"github.com/kguard/kguard/internal/rules/all"
)

// signedRegistry pushes a signed and an unsigned image and returns their
// references and a Signatures check requiring signatures in "secure".
func signedRegistry(t *testing.T) (reg *imagetest.Registry, signed, unsigned string, sigs *admission.Signatures) {
	t.Helper()
	reg = imagetest.NewRegistry(t)
	signed = reg.Push(t, "app:signed", imagetest.Image(t, "", imagetest.Layer(t, imagetest.File{Path: "a", Content: []byte("a")})))
	unsigned = reg.Push(t, "app:unsigned", imagetest.Image(t, "", imagetest.Layer(t, imagetest.File{Path: "b", Content: []byte("b")})))
	s, err := signtest.NewKeySigner()
	if err != nil {
		t.Fatal(err)
	}
	r, _ := name.ParseReference(signed)
	if err := s.SignImage(r, nil); err != nil {
		t.Fatal(err)
	}
	pub, _ := s.PublicKeyPEM()
	key := filepath.Join(t.TempDir(), "cosign.pub")
	os.WriteFile(key, pub, 0o644)
	pol := config.SignaturePolicy{Keys: []string{key}, Require: []config.SignatureRequirement{{Namespaces: []string{"secure"}}}}
	v, err := sign.NewVerifier(pol, "")
	if err != nil {
		t.Fatal(err)
	}
	return reg, signed, unsigned, &admission.Signatures{Policy: pol, Verifier: v, Access: access.Options{}}
}

func review(t *testing.T, h *admission.Handler, ns, image string) *admissionv1.AdmissionResponse {
	t.Helper()
	d := deployment("web", image, false)
	d.Namespace = ns
	d.APIVersion, d.Kind = "apps/v1", "Deployment"
	raw, _ := json.Marshal(d)
	return h.Review(context.Background(), &admissionv1.AdmissionRequest{
		UID: "1", Kind: metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
		Namespace: ns, Name: "web", Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw},
	})
}

// TestSignatureAdmission: in a namespace that requires signatures the
// unsigned image is denied and the signed one admitted; elsewhere both are
// admitted; a second review of the same image is served from the
// digest-keyed cache (one HEAD, no signature download).
func TestSignatureAdmission(t *testing.T) {
	reg, signed, unsigned, sigs := signedRegistry(t)
	rr, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	h := &admission.Handler{Registry: rr, DefaultMode: admission.ModeBaseline, Signatures: sigs}
	if r := review(t, h, "secure", unsigned); r.Allowed || !strings.Contains(r.Result.Message, "image-signature-invalid") || !strings.Contains(r.Result.Message, "no signature attached") {
		t.Errorf("unsigned in secure: allowed=%v %v", r.Allowed, r.Result)
	}
	if r := review(t, h, "secure", signed); !r.Allowed {
		t.Errorf("signed in secure denied: %s", r.Result.Message)
	}
	if r := review(t, h, "shop", unsigned); !r.Allowed {
		t.Errorf("unsigned in shop denied: %s", r.Result.Message)
	}
	lookups, before := sigs.Lookups, len(reg.Requests())
	for i := 0; i < 3; i++ {
		review(t, h, "secure", signed)
	}
	var gets []string
	for _, q := range reg.Requests()[before:] {
		if !strings.HasPrefix(q, "HEAD ") {
			gets = append(gets, q)
		}
	}
	if sigs.Lookups != lookups || len(gets) != 0 {
		t.Errorf("cached reviews verified again: %d lookups, requests %v", sigs.Lookups-lookups, gets)
	}
	// Audit mode warns instead of denying.
	h.DefaultMode = admission.ModeAudit
	if r := review(t, h, "secure", unsigned); !r.Allowed || !strings.Contains(strings.Join(r.Warnings, "\n"), "image-signature-invalid") {
		t.Errorf("audit: %+v", r)
	}
	// An unreachable registry fails closed, naming the image.
	reg.Server.Close()
	h.DefaultMode = admission.ModeBaseline
	if r := review(t, h, "secure", strings.Replace(unsigned, "unsigned", "other", 1)); r.Allowed || !strings.Contains(r.Result.Message, "could not verify image signatures") {
		t.Errorf("unreachable: %+v", r.Result)
	}
}
