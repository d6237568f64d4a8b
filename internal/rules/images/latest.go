package images

import (
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

func latestTag() *rules.Rule {
	return rules.AppHardening(&rules.Rule{
		ID:       "image-latest-tag",
		Category: finding.CategoryImages,
		Severity: finding.SeverityMedium,
		Title:    "Image uses the latest tag or no tag",
		Rationale: "A :latest (or missing) tag names whatever was pushed last: two nodes can run different code " +
			"under one spec, a rollback does not roll back, and a compromised registry push reaches the cluster unreviewed.",
		Remediation: "Pin the image to a versioned tag, and better to a digest (image@sha256:...).",
		References: finding.References{
			NSA:   []string{"Pod security: use immutable container images"},
			MITRE: []string{"T1525"},
		},
		CEL: &rules.CEL{
			Expression: "variables.containers.all(c, " + imagePinnedCEL + ")",
			MessageExpression: "'images without a version tag or with :latest: ' + " +
				"variables.containers.filter(c, !(" + imagePinnedCEL + ")).map(c, c.name + '=' + c.image).join(', ')",
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			eachContainer(w, func(c container) {
				ref := ParseReference(c.Image)
				if ref.Digest != "" {
					return
				}
				switch ref.Tag {
				case "":
					p.Reportf(w.Object, fieldPath(w, c, "image"), "container %q uses image %q without a tag (means :latest)", c.Name, c.Image)
				case "latest":
					p.Reportf(w.Object, fieldPath(w, c, "image"), "container %q uses image %q with the :latest tag", c.Name, c.Image)
				}
			})
		},
	})
}

// imagePinnedCEL is true for a container whose image has a digest, or a tag
// (a colon after the last slash) other than latest.
const imagePinnedCEL = "c.image.contains('@') || " +
	"(c.image.substring(c.image.lastIndexOf('/') + 1).contains(':') && !c.image.endsWith(':latest'))"
