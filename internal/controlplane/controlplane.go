// Package controlplane reads what the inventory shows of a cluster's
// control plane and nodes: the command-line flags of kube-apiserver,
// kube-controller-manager, kube-scheduler, etcd, the kubelet and
// kube-proxy (from static pods in kube-system, or from the NodeProcess
// objects `kguard node` describes a host's processes with), the kubelet's
// configuration file, the NodeFile objects that carry the modes and owners
// of files on a node, and each node's kubelet version. Control-plane rules
// (CIS checks, audit, patching) read it through analyses; with application
// manifests or on managed clusters that hide the control plane, it is
// simply empty.
package controlplane

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/inventory"
)

// AnonymousAuth reports whether anonymous requests are allowed (the API
// server's default is true).
func (a *Component) AnonymousAuth() bool { return a.Bool("anonymous-auth", true) }

// AuthorizationModes lists the authorizers, in order (default AlwaysAllow).
func (a *Component) AuthorizationModes() []string {
	if m := a.List("authorization-mode"); len(m) > 0 {
		return m
	}
	if _, ok := a.Value("authorization-config"); ok {
		return []string{"(structured authorization config)"}
	}
	return []string{"AlwaysAllow"}
}

// Kubelet is one node's kubelet as the Node object reports it.
type Kubelet struct {
	Node    *inventory.Object
	Version string // status.nodeInfo.kubeletVersion, such as "v1.31.4"
}

// Facts is what the inventory shows of the control plane and nodes.
type Facts struct {
	APIServers []*APIServer
	Kubelets   []Kubelet
}

// FactsAnalysis gives rules the Facts of the scanned inventory, built once
// per scan.
var FactsAnalysis = &analysis.Analysis[*Facts]{Name: "controlplane.facts", Build: FromInventory}

// FromInventory finds kube-apiserver static pods in kube-system and
// NodeProcess objects, and the kubelet versions of Node objects.
func FromInventory(inv *inventory.Inventory) *Facts {
	f := &Facts{}
	for _, c := range allComponents(inv) {
		if c.Name == ComponentAPIServer {
			f.APIServers = append(f.APIServers, c)
		}
	}
	for _, o := range inv.ByKind("", "Node") {
		if n, ok := o.Typed.(*corev1.Node); ok && n.Status.NodeInfo.KubeletVersion != "" {
			f.Kubelets = append(f.Kubelets, Kubelet{Node: o, Version: n.Status.NodeInfo.KubeletVersion})
		}
	}
	return f
}

// ParseFlags reads --name=value and --name value pairs from a command line
// (the binary and positional arguments are ignored). A flag followed by
// another flag, or last, is "true".
func ParseFlags(args []string) map[string][]string {
	flags := map[string][]string{}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" || arg == "--" {
			continue
		}
		name := strings.TrimLeft(arg, "-")
		if k, v, ok := strings.Cut(name, "="); ok {
			flags[k] = append(flags[k], v)
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			flags[name] = append(flags[name], args[i+1])
			i++
			continue
		}
		flags[name] = append(flags[name], "true")
	}
	return flags
}
