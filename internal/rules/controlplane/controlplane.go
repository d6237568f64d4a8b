// Package controlplane holds the rules on control-plane and node
// configuration (API server, controller manager, scheduler, etcd, kubelet,
// kube-proxy, and the files of a node), in the categories of what they
// protect. They read static pod manifests, KubeletConfiguration and
// KubeProxyConfiguration files, and the NodeProcess and NodeFile objects
// `kguard node` describes a host with, so that a scan of manifests and a
// check of a running node judge the same setting with the same rule.
package controlplane

import (
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/rules"
)

// Rules returns the family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{
		apiServerAnonymousAuth(),
		apiServerTokenAuthFile(),
		apiServerAuthorizationMode(),
		apiServerAdmissionPlugins(),
		apiServerKubeletTLS(),
		apiServerEtcdTLS(),
		apiServerServingTLS(),
		apiServerProfiling(),
		componentBindAllInterfaces(),
		controllerManagerInsecure(),
		apiServerAuditLogMissing(),
		apiServerAuditLogRotation(),
		apiServerEncryptionMissing(),
		apiServerServiceAccountFlags(),
		etcdTLS(),
		kubeletConfigInsecure(),
		kubeProxyMetricsExposed(),
		nodeFilePermissions(),
		nodeFileOwner(),
		controlPlaneReleaseUnsupported(),
		containerRuntimeUnsupported(),
		admissionConfigPodSecurity(),
		componentUnknownFlag(),
		staticPodNote(),
	}
}

const (
	apiServerFlagsURL = "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"
	cmFlagsURL        = "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/"
	schedulerFlagsURL = "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-scheduler/"
)

// apiServers returns the API servers the inventory shows.
func apiServers(p *rules.Pass) []*controlplane.APIServer {
	return rules.Use(p, controlplane.FactsAnalysis).APIServers
}

// components returns the visible components with the given name.
func components(p *rules.Pass, name string) []*controlplane.Component {
	var out []*controlplane.Component
	for _, c := range rules.Use(p, controlplane.ComponentsAnalysis) {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}
