package admission

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/sign"
	"github.com/kguard/kguard/internal/inventory"
	imagerules "github.com/kguard/kguard/internal/rules/images"
)

// Signatures denies workloads whose images lack a valid signature where
// the policy requires one. Verdicts are cached by image digest, so an
// image already judged costs one HEAD request for a tag, and nothing for a
// reference by digest.
type Signatures struct {
	Policy   config.SignaturePolicy
	Verifier *sign.Verifier
	Access   access.Options
	// TTL is how long a verdict is reused (default 10 minutes); a failure
	// to reach the registry is never cached.
	TTL time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	cache  map[string]cachedVerdict
	reused bool
	// Lookups counts registry verifications (not cache hits), for tests
	// and metrics.
	Lookups int
}

type cachedVerdict struct {
	res *sign.Result
	at  time.Time
}

// unsignedImage is one image that failed the policy.
type unsignedImage struct {
	container, image, reason string
}

func (s *Signatures) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// check returns the images of obj that the policy requires to be signed
// and that are not. An error means a verdict could not be reached (the
// registry did not answer): the caller fails closed or warns, by mode.
func (s *Signatures) check(ctx context.Context, obj *inventory.Object) ([]unsignedImage, error) {
	w, ok := extract.PodSpec(obj)
	if !ok {
		return nil, nil
	}
	var out []unsignedImage
	for _, c := range w.Containers() {
		img := c.Container.Image
		if !imagerules.SignatureRequired(s.Policy.Require, obj.Namespace, img) {
			continue
		}
		res, err := s.verify(ctx, img)
		if err != nil {
			return nil, err
		}
		if !res.Verified {
			out = append(out, unsignedImage{c.Container.Name, img, res.Reason()})
		}
	}
	return out, nil
}

// access returns the registry options with one puller reused across
// reviews, so that registry sessions (the auth ping, tokens) are not set
// up again for every admission request.
func (s *Signatures) access() access.Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.reused {
		s.reused = true
		if p, err := remote.NewPuller(s.Access.RemoteOptions(context.Background())...); err == nil {
			s.Access.Remote = append(s.Access.Remote, remote.Reuse(p))
		}
	}
	return s.Access
}

func (s *Signatures) verify(ctx context.Context, ref string) (*sign.Result, error) {
	ao := s.access()
	d, err := sign.Resolve(ctx, ref, ao)
	if err != nil {
		return nil, err
	}
	key := d.String()
	ttl := s.TTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	s.mu.Lock()
	if c, ok := s.cache[key]; ok && s.now().Sub(c.at) < ttl {
		s.mu.Unlock()
		return c.res, nil
	}
	s.mu.Unlock()
	res, err := s.Verifier.VerifyDigest(ctx, d, ao, ref)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.cache == nil {
		s.cache = map[string]cachedVerdict{}
	}
	s.cache[key] = cachedVerdict{res, s.now()}
	s.Lookups++
	s.mu.Unlock()
	return res, nil
}

func signatureMessage(bad []unsignedImage) string {
	msg := ""
	for _, b := range bad {
		msg += fmt.Sprintf("\n- [image-signature-invalid] container %q runs image %q without a valid signature: %s", b.container, b.image, b.reason)
	}
	return msg
}

// reviewSignatures checks obj's images; in audit mode problems become
// warnings, otherwise the returned text lists what to deny ("" for
// nothing).
func (h *Handler) reviewSignatures(ctx context.Context, obj *inventory.Object, mode Mode, resp *admissionv1.AdmissionResponse) string {
	if h.Signatures == nil {
		return ""
	}
	bad, err := h.Signatures.check(ctx, obj)
	var deny string
	switch {
	case err != nil:
		h.logger().Error("could not verify image signatures", "err", err)
		deny = "\n- kguard could not verify image signatures: " + err.Error()
	case len(bad) > 0:
		deny = signatureMessage(bad)
	}
	if deny != "" && mode == ModeAudit {
		for _, line := range strings.Split(strings.TrimPrefix(deny, "\n- "), "\n- ") {
			resp.Warnings = append(resp.Warnings, warningText("kguard "+line))
		}
		return ""
	}
	return deny
}

// signatureDenyMessage merges the signature denials into the rules'
// message.
func signatureDenyMessage(req *admissionv1.AdmissionRequest, ruleDenials int, sig, rulesMsg string) string {
	if ruleDenials > 0 {
		return rulesMsg + sig
	}
	what := req.Kind.Kind + " " + req.Name
	if req.Namespace != "" {
		what = req.Kind.Kind + " " + req.Namespace + "/" + req.Name
	}
	return "kguard denied " + what + ": images without a valid signature where the policy requires one" + sig +
		"\n  fix: sign the image with a key or identity listed in .kguard.yaml images.signatures"
}

func warningText(s string) string {
	if len(s) > 256 {
		s = s[:253] + "..."
	}
	return s
}
