// Package controlplane holds the rules on control-plane and node
// configuration (API server, controller manager, scheduler, etcd, kubelet),
// in the categories of what they protect.
package controlplane

import (
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/rules"
)

// Rules returns the family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{
		apiServerAnonymousAuth(),
		apiServerAuthorizationMode(),
		apiServerAdmissionPlugins(),
		apiServerProfiling(),
		componentBindAllInterfaces(),
		apiServerAuditLogMissing(),
		apiServerAuditLogRotation(),
		apiServerEncryptionMissing(),
		apiServerServiceAccountFlags(),
		etcdTLS(),
		kubeletConfigInsecure(),
		controlPlaneReleaseUnsupported(),
		containerRuntimeUnsupported(),
		admissionConfigPodSecurity(),
		componentUnknownFlag(),
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

// apiField is the field path of an API server's container.
func apiField(a *controlplane.APIServer) string {
	return controlplane.ContainerField(a.Pod, a.Container)
}

// compField is the field path of a component's container.
func compField(c *controlplane.Component) string {
	return controlplane.ContainerField(c.Pod, c.Container)
}
