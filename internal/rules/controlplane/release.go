package controlplane

import (
	"strings"
	"time"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rules"
)

func controlPlaneReleaseUnsupported() *rules.Rule {
	return &rules.Rule{
		ID:       "control-plane-release-unsupported",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryPatching,
		Severity: finding.SeverityHigh,
		Title:    "Control plane or kubelet runs a Kubernetes release past end of life",
		Rationale: "Each Kubernetes minor release gets patches for about 14 months. After its end of life, " +
			"security fixes (API server authorization bypasses, kubelet and container escapes) are no longer " +
			"published for it.",
		Remediation: "Upgrade the control plane, then the nodes, one minor release at a time to a supported " +
			"release (see kubernetes.io/releases).",
		References: finding.References{
			URLs: []string{
				"https://kubernetes.io/releases/",
				"https://kubernetes.io/releases/patch-releases/",
			},
		},
		CheckInventory: func(p *rules.Pass) {
			now := p.Now()
			facts := rules.Use(p, controlplane.FactsAnalysis)
			for _, a := range facts.APIServers {
				image := controlplane.ContainerImage(a.Object, a.Container)
				r, ok := imageRelease(image)
				if !ok || controlplane.Supported(r, now) {
					continue
				}
				p.Reportf(a.Object, a.Field+".image", "kube-apiserver runs Kubernetes %s (%s), %s", r, image, eolText(r))
			}
			for _, k := range facts.Kubelets {
				r, err := k8sversions.ParseRelease(k.Version)
				if err != nil || controlplane.Supported(r, now) {
					continue
				}
				p.Reportf(k.Node, "status.nodeInfo.kubeletVersion", "kubelet %s runs Kubernetes %s, %s", k.Version, r, eolText(r))
			}
		},
	}
}

// eolText says when a release reached its end of life.
func eolText(r k8sversions.Release) string {
	l, ok := controlplane.LifecycleOf(r)
	if !ok {
		return "which is older than every supported release"
	}
	return "which reached end of life on " + l.EndOfLife.Format(time.DateOnly)
}

// imageRelease reads the release from an image tag such as
// registry.k8s.io/kube-apiserver:v1.31.4 (a digest is ignored).
func imageRelease(image string) (k8sversions.Release, bool) {
	image, _, _ = strings.Cut(image, "@")
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return k8sversions.Release{}, false
	}
	r, err := k8sversions.ParseRelease(image[i+1:])
	return r, err == nil
}
