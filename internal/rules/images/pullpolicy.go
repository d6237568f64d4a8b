package images

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

// EffectivePullPolicy is the pull policy a container gets: its own when
// set, otherwise the API server's default, which is Always for an image
// tagged :latest or not tagged at all and IfNotPresent for anything else
// (a versioned tag, or a digest without a tag).
func EffectivePullPolicy(image string, set corev1.PullPolicy) corev1.PullPolicy {
	if set != "" {
		return set
	}
	ref := ParseReference(image)
	if ref.Tag == "latest" || (ref.Tag == "" && ref.Digest == "") {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

func pullPolicyNotAlways() *rules.Rule {
	return rules.AppHardening(&rules.Rule{
		ID:       "image-pull-policy-not-always",
		Category: finding.CategoryImages,
		Severity: finding.SeverityLow,
		Title:    "Mutable image tag is not pulled with imagePullPolicy Always",
		Rationale: "With IfNotPresent (the default for any tag other than :latest) or Never, a node runs whatever image " +
			"it cached under the tag, so nodes drift apart when the tag moves. Worse, a pod on that node starts from " +
			"the cached copy without the registry checking its pull credentials, so it can use a private image it was never allowed to pull.",
		Remediation: "Pin the image by digest (then IfNotPresent is safe), or set imagePullPolicy: Always; " +
			"cluster-wide, enable the AlwaysPullImages admission plugin.",
		References: finding.References{
			CIS:   []string{"1.2.11"},
			NSA:   []string{"Pod security: use immutable container images"},
			MITRE: []string{"T1525"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/containers/images/#image-pull-policy"},
		},
		CEL: &rules.CEL{
			// imagePullPolicy is already defaulted when the API server
			// evaluates the policy; the has() branch keeps the expression
			// right for manifests too.
			Expression: "variables.containers.all(c, " + pullPolicyOKCEL + ")",
			MessageExpression: "'mutable images not pulled Always: ' + " +
				"variables.containers.filter(c, !(" + pullPolicyOKCEL + ")).map(c, c.name + '=' + c.image).join(', ')",
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			eachContainer(w, func(c container) {
				if ParseReference(c.Image).Digest != "" {
					return
				}
				switch eff := EffectivePullPolicy(c.Image, c.PullPolicy); {
				case eff == corev1.PullAlways:
				case c.PullPolicy == "":
					p.Reportf(w.Object, fieldPath(w, c, "imagePullPolicy"),
						"container %q uses image %q by a mutable tag and no imagePullPolicy, so it defaults to %s: set Always or pin a digest",
						c.Name, c.Image, eff)
				default:
					p.Reportf(w.Object, fieldPath(w, c, "imagePullPolicy"),
						"container %q uses image %q by a mutable tag with imagePullPolicy %s: set Always or pin a digest",
						c.Name, c.Image, eff)
				}
			})
		},
	})
}

// pullPolicyOKCEL is true for a container pinned by digest, pulled Always,
// or with no policy where the default is Always (no version tag).
const pullPolicyOKCEL = "c.image.contains('@') || (has(c.imagePullPolicy) ? c.imagePullPolicy == 'Always' : !(" + imagePinnedCEL + "))"
