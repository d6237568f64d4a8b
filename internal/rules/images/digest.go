package images

import (
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

func notPinnedByDigest() *rules.Rule {
	return rules.AppHardening(&rules.Rule{
		ID:       "image-not-pinned-by-digest",
		Category: finding.CategoryImages,
		Severity: finding.SeverityLow,
		Title:    "Image is not pinned by digest",
		Rationale: "A tag, even a versioned one, is a movable pointer: whoever can push to the repository can make " +
			"the same spec run different code, and what was scanned or signed need not be what runs. " +
			"A digest (@sha256:...) names exactly one image.",
		Remediation: "Reference the image by digest, keeping the tag for readers: " +
			"registry.example.com/app:1.4.2@sha256:<digest> (tools such as crane digest or skopeo inspect print it); " +
			"let a bot such as Renovate update digests.",
		References: finding.References{
			NSA:   []string{"Pod security: use immutable container images"},
			MITRE: []string{"T1525"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/containers/images/#image-names"},
		},
		CEL: &rules.CEL{
			Expression: "variables.containers.all(c, c.image.contains('@'))",
			MessageExpression: "'images not pinned by digest: ' + " +
				"variables.containers.filter(c, !c.image.contains('@')).map(c, c.name + '=' + c.image).join(', ')",
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			eachContainer(w, func(c container) {
				if ParseReference(c.Image).Digest == "" {
					p.Reportf(w.Object, fieldPath(w, c, "image"), "container %q uses image %q, which is not pinned by digest", c.Name, c.Image)
				}
			})
		},
	})
}
