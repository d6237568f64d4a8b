package images

import (
	"path"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/images/imagesig"
	"github.com/kguard/kguard/internal/rules"
)

// SignatureRequired reports whether an image run in namespace must carry
// a valid signature under reqs: the namespace matches a Namespaces glob,
// or the image a Registries entry (the forms of allowedRegistries).
func SignatureRequired(reqs []config.SignatureRequirement, namespace, image string) bool {
	if namespace == "" {
		namespace = "default"
	}
	for _, r := range reqs {
		for _, g := range r.Namespaces {
			if ok, _ := path.Match(g, namespace); ok {
				return true
			}
		}
		if len(r.Registries) > 0 && RegistryAllowed(image, r.Registries) {
			return true
		}
	}
	return false
}

func signatureInvalid() *rules.Rule {
	return &rules.Rule{
		ID:       "image-signature-invalid",
		Category: finding.CategoryImages,
		Severity: finding.SeverityHigh,
		Title:    "Image lacks a valid signature where the policy requires one",
		Rationale: "A signature by a trusted key or identity is what ties the image a workload runs to the build " +
			"that produced it; an unsigned or wrongly signed image may have been pushed by anyone with registry access.",
		Remediation: "Sign the image (cosign sign --new-bundle-format, or your CI's Sigstore signer) with a key or " +
			"identity that .kguard.yaml lists under images.signatures, or run a signed image.",
		References: finding.References{
			NSA:   []string{"Pod security: use immutable container images"},
			MITRE: []string{"T1525", "T1195.002"},
			URLs:  []string{"https://docs.sigstore.dev/cosign/verifying/verify/"},
		},
		Requires:      []analysis.Key{imagesig.Analysis},
		CheckWorkload: checkSignature,
	}
}

func checkSignature(p *rules.Pass, w *extract.Workload) {
	res := rules.Use(p, imagesig.Analysis)
	if res == nil || len(res.Images) == 0 {
		return
	}
	eachContainer(w, func(c container) {
		v := res.Images[c.Image]
		if v == nil || v.Verified || v.Error != "" || !SignatureRequired(res.Require, w.Object.Namespace, c.Image) {
			return
		}
		p.Reportf(w.Object, fieldPath(w, c, "image"), "container %q runs image %q without a valid signature: %s", c.Name, c.Image, v.Reason)
	})
}
