package controlplane

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rules"
)

func containerRuntimeUnsupported() *rules.Rule {
	return &rules.Rule{
		ID:       "node-container-runtime-unsupported",
		Category: finding.CategoryPatching,
		Severity: finding.SeverityHigh,
		Title:    "Node runs a container runtime past end of life or mismatched with its kubelet",
		Rationale: "The container runtime is what separates containers from the node: an unpatched runtime " +
			"keeps container-escape bugs open. containerd releases have published end-of-life dates; CRI-O " +
			"follows Kubernetes' minor releases and supports only the matching kubelet.",
		Remediation: "Upgrade the node's container runtime (drain the node first): containerd to a supported " +
			"minor release, CRI-O to the minor release of the node's kubelet.",
		References: finding.References{
			URLs: []string{
				"https://containerd.io/releases/",
				"https://github.com/cri-o/cri-o#compatibility-matrix-cri-o--kubernetes",
			},
		},
		Kinds: []schema.GroupKind{{Kind: "Node"}},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			node, ok := obj.Typed.(*corev1.Node)
			if !ok {
				return
			}
			const field = "status.nodeInfo.containerRuntimeVersion"
			info := node.Status.NodeInfo
			name, version, ok := strings.Cut(info.ContainerRuntimeVersion, "://")
			if !ok {
				return
			}
			switch name {
			case "containerd":
				eol, known := controlplane.ContainerdEndOfLife(version)
				now := p.Now()
				if known && now.After(eol.AddDate(0, 0, 1)) {
					p.Reportf(obj, field, "containerd %s reached end of life on %s", version, eol.Format(time.DateOnly))
				}
			case "cri-o":
				crio, err1 := k8sversions.ParseRelease(version)
				kubelet, err2 := k8sversions.ParseRelease(info.KubeletVersion)
				if err1 == nil && err2 == nil && crio != kubelet {
					p.Reportf(obj, field, "CRI-O %s runs with kubelet %s: CRI-O supports only the kubelet of its own minor release (%s)",
						version, info.KubeletVersion, crio)
				}
			}
		},
	}
}
