package patching

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rules"
)

// maxKubeletSkew is how many minor releases a kubelet may trail the API
// server (the version skew policy since Kubernetes 1.28; 2 before).
const maxKubeletSkew = 3

func kubeletVersionSkew() *rules.Rule {
	return &rules.Rule{
		ID:       "node-kubelet-version-skew",
		Category: finding.CategoryPatching,
		Severity: finding.SeverityHigh,
		Title:    "Node's kubelet is outside the supported version skew",
		Rationale: "The kubelet may be at most three minor releases older than the API server, and never newer. " +
			"Outside that window the combination is untested, and a kubelet that old no longer receives " +
			"security fixes: nodes are where container escapes land.",
		Remediation: "Upgrade (or, if newer, roll back) the node's kubelet: drain the node, upgrade kubelet and the " +
			"container runtime, uncordon. Upgrade the control plane first, then nodes, one minor release at a time.",
		References: finding.References{
			NSA:  []string{"Upgrading and application security practices"},
			URLs: []string{"https://kubernetes.io/releases/version-skew-policy/#kubelet"},
		},
		Kinds: []schema.GroupKind{{Kind: "Node"}},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			node, ok := obj.Typed.(*corev1.Node)
			if !ok || node.Status.NodeInfo.KubeletVersion == "" {
				return
			}
			kubelet, err := k8sversions.ParseRelease(node.Status.NodeInfo.KubeletVersion)
			if err != nil {
				return
			}
			server := target(p)
			const field = "status.nodeInfo.kubeletVersion"
			switch behind := server.Minor - kubelet.Minor; {
			case kubelet.Compare(server) > 0:
				p.Reportf(obj, field, "kubelet %s is newer than the API server (%s): the skew policy never allows that",
					node.Status.NodeInfo.KubeletVersion, server)
			case behind > maxKubeletSkew:
				p.Reportf(obj, field, "kubelet %s is %d minor releases behind the API server (%s); at most %d are supported",
					node.Status.NodeInfo.KubeletVersion, behind, server, maxKubeletSkew)
			}
		},
	}
}
