package controlplane

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/inventory"
)

// Names of the Kubernetes components kguard reads flags of.
const (
	ComponentAPIServer         = "kube-apiserver"
	ComponentControllerManager = "kube-controller-manager"
	ComponentScheduler         = "kube-scheduler"
	ComponentEtcd              = "etcd"
	ComponentKubelet           = "kubelet"
	ComponentProxy             = "kube-proxy"
)

// ComponentNames lists the components kguard recognises, in report order.
func ComponentNames() []string {
	return []string{ComponentAPIServer, ComponentControllerManager, ComponentScheduler, ComponentEtcd, ComponentKubelet, ComponentProxy}
}

// podComponents are the components recognised in pods: those that run as
// static pods or DaemonSet pods. A kubelet never runs in a pod.
var podComponents = []string{ComponentAPIServer, ComponentControllerManager, ComponentScheduler, ComponentEtcd, ComponentProxy}

// Component is one Kubernetes component as an object of the inventory
// shows it: a static pod's container (manifests, a live cluster) or a
// NodeProcess (`kguard node`).
type Component struct {
	// Name is one of ComponentNames.
	Name string
	// Object is the pod or NodeProcess the flags were read from.
	Object *inventory.Object
	// Container is the name of the component's container in a pod ("" for
	// a NodeProcess).
	Container string
	// Field is the field path findings about the command line point at:
	// "spec.containers[0]" in a pod, "spec.command" in a NodeProcess.
	Field string
	// Flags holds every --flag of the command line with its values in
	// order (a flag may be repeated). A flag given without a value is
	// "true".
	Flags map[string][]string
	// Env holds the environment variables with literal values.
	Env map[string]string
}

// APIServer is a kube-apiserver component.
type APIServer = Component

// Value returns the last value of a flag, as the component reads it.
func (c *Component) Value(name string) (string, bool) {
	v := c.Flags[name]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// Setting returns a flag's value as the component reads it: from the
// command line or, for etcd, from its ETCD_<FLAG> environment variable
// (the command line wins). source renders where it came from
// ("--client-cert-auth=true", "ETCD_CLIENT_CERT_AUTH=true").
func (c *Component) Setting(name string) (value, source string, ok bool) {
	if v, ok := c.Value(name); ok {
		return v, "--" + name + "=" + v, true
	}
	if c.Name == ComponentEtcd {
		env := EtcdEnvName(name)
		if v, ok := c.Env[env]; ok {
			return v, env + "=" + v, true
		}
	}
	return "", "", false
}

// EtcdEnvName is the environment variable etcd reads a flag from.
func EtcdEnvName(flag string) string {
	return "ETCD_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Bool returns a boolean setting, or def when it is not set or not a
// boolean.
func (c *Component) Bool(name string, def bool) bool {
	v, _, ok := c.Setting(name)
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
func (c *Component) List(name string) []string {
	v, ok := c.Value(name)
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

// ComponentsAnalysis gives rules every component of the scanned inventory
// other than the API server (controller manager, scheduler, etcd, kubelet,
// kube-proxy), built once per scan.
var ComponentsAnalysis = &analysis.Analysis[[]*Component]{Name: "controlplane.components", Build: ComponentsFromInventory}

// ComponentsFromInventory finds the components other than the API server:
// static pods in kube-system, recognised by the kubeadm component label or
// by the binary the container runs, and NodeProcess objects.
func ComponentsFromInventory(inv *inventory.Inventory) []*Component {
	var out []*Component
	for _, c := range allComponents(inv) {
		if c.Name != ComponentAPIServer {
			out = append(out, c)
		}
	}
	return out
}

// allComponents reads the components of pods and NodeProcess objects.
func allComponents(inv *inventory.Inventory) []*Component {
	var out []*Component
	for _, o := range inv.ByKind("", "Pod") {
		if o.Namespace != "kube-system" {
			continue
		}
		pod, ok := o.Typed.(*corev1.Pod)
		if !ok {
			continue
		}
	containers:
		for i := range pod.Spec.Containers {
			c := &pod.Spec.Containers[i]
			for _, name := range podComponents {
				if isComponentContainer(pod, c, name) {
					env := map[string]string{}
					for _, e := range c.Env {
						if e.ValueFrom == nil {
							env[e.Name] = e.Value
						}
					}
					out = append(out, &Component{
						Name:      name,
						Object:    o,
						Container: c.Name,
						Field:     "spec.containers[" + strconv.Itoa(i) + "]",
						Flags:     ParseFlags(append(append([]string{}, c.Command...), c.Args...)),
						Env:       env,
					})
					break containers
				}
			}
		}
	}
	for _, o := range inv.ByKind(NodeProcessKind.Group, NodeProcessKind.Kind) {
		p, ok := ParseNodeProcess(o)
		if !ok || !isComponentName(p.Spec.Component) {
			continue
		}
		env := map[string]string{}
		for _, e := range p.Spec.Env {
			env[e.Name] = e.Value
		}
		out = append(out, &Component{
			Name:   p.Spec.Component,
			Object: o,
			Field:  "spec.command",
			Flags:  ParseFlags(p.Spec.Command),
			Env:    env,
		})
	}
	return out
}

func isComponentName(name string) bool {
	for _, n := range ComponentNames() {
		if n == name {
			return true
		}
	}
	return false
}

// isComponentContainer reports whether c is the named component's
// container: kubeadm labels the pod component=<name>; other installers at
// least name the binary as the first non-flag word of the command line.
func isComponentContainer(pod *corev1.Pod, c *corev1.Container, name string) bool {
	if pod.Labels["component"] == name && (c.Name == name || len(pod.Spec.Containers) == 1) {
		return true
	}
	for _, arg := range append(append([]string{}, c.Command...), c.Args...) {
		if !strings.HasPrefix(arg, "-") {
			return arg == name || strings.HasSuffix(arg, "/"+name)
		}
	}
	return false
}

// ContainerField returns the field path of the named container of a pod
// object ("spec.containers[1]"), or "spec.containers" when it is not found.
func ContainerField(pod *inventory.Object, container string) string {
	if p, ok := pod.Typed.(*corev1.Pod); ok {
		for i := range p.Spec.Containers {
			if p.Spec.Containers[i].Name == container {
				return "spec.containers[" + strconv.Itoa(i) + "]"
			}
		}
	}
	return "spec.containers"
}

// ContainerImage returns the image of the named container of a pod object
// ("" for a NodeProcess, which has no image).
func ContainerImage(pod *inventory.Object, container string) string {
	if p, ok := pod.Typed.(*corev1.Pod); ok {
		for i := range p.Spec.Containers {
			if p.Spec.Containers[i].Name == container {
				return p.Spec.Containers[i].Image
			}
		}
	}
	return ""
}
