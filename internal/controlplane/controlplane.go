// Package controlplane reads what a live cluster shows of its control
// plane and nodes: the kube-apiserver's command-line flags from its static
// pod in kube-system (audit logging, anonymous auth, authorization modes,
// admission plugins, encryption at rest, TLS), and each node's kubelet
// version. This is the ControlPlaneConfig input that control-plane rules
// (CIS checks, audit, patching) read through Facts; with manifests or on
// managed clusters that hide the control plane, Facts is simply empty.
package controlplane

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/inventory"
)

// APIServer is one kube-apiserver as its static pod describes it.
type APIServer struct {
	// Pod is the static (mirror) pod the flags were read from.
	Pod *inventory.Object
	// Container is the name of the kube-apiserver container.
	Container string
	// Flags holds every --flag of the command line with its values in
	// order (a flag may be repeated). A flag given without a value is
	// "true".
	Flags map[string][]string
}

// Value returns the last value of a flag, as the API server reads it.
func (a *APIServer) Value(name string) (string, bool) {
	v := a.Flags[name]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// Bool returns a boolean flag, or def when it is not set or not a boolean.
func (a *APIServer) Bool(name string, def bool) bool {
	v, ok := a.Value(name)
	switch {
	case !ok:
		return def
	case strings.EqualFold(v, "true"):
		return true
	case strings.EqualFold(v, "false"):
		return false
	}
	return def
}

// List returns a comma-separated flag split into its items.
func (a *APIServer) List(name string) []string {
	v, ok := a.Value(name)
	if !ok || v == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// AnonymousAuth reports whether anonymous requests are allowed (the API
// server's default is true).
func (a *APIServer) AnonymousAuth() bool { return a.Bool("anonymous-auth", true) }

// AuthorizationModes lists the authorizers, in order (default AlwaysAllow).
func (a *APIServer) AuthorizationModes() []string {
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

// FromInventory finds kube-apiserver static pods in kube-system and the
// kubelet versions of Node objects.
func FromInventory(inv *inventory.Inventory) *Facts {
	f := &Facts{}
	for _, o := range inv.ByKind("", "Pod") {
		if o.Namespace != "kube-system" {
			continue
		}
		pod, ok := o.Typed.(*corev1.Pod)
		if !ok {
			continue
		}
		for i := range pod.Spec.Containers {
			c := &pod.Spec.Containers[i]
			if isComponentContainer(pod, c, "kube-apiserver") {
				f.APIServers = append(f.APIServers, &APIServer{Pod: o, Container: c.Name, Flags: ParseFlags(append(append([]string{}, c.Command...), c.Args...))})
				break
			}
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
