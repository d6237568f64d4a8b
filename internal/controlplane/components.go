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

// controlPlaneComponents are the components a control-plane node runs as
// static pods (kube-proxy runs from a DaemonSet on every node).
var controlPlaneComponents = []string{ComponentAPIServer, ComponentControllerManager, ComponentScheduler, ComponentEtcd}

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
		pod, i, name, ok := podComponent(o, podComponents)
		if !ok {
			continue
		}
		c := &pod.Spec.Containers[i]
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

// podComponent finds the first container of a kube-system Pod that runs
// one of names: the one definition of "this pod runs a component" that
// the control-plane rules and the static-pod exemption share.
func podComponent(o *inventory.Object, names []string) (pod *corev1.Pod, container int, name string, ok bool) {
	if o.Kind != "Pod" || o.Namespace != "kube-system" {
		return nil, 0, "", false
	}
	pod, isPod := o.Typed.(*corev1.Pod)
	if !isPod {
		return nil, 0, "", false
	}
	for i := range pod.Spec.Containers {
		for _, n := range names {
			if isComponentContainer(pod, &pod.Spec.Containers[i], n) {
				return pod, i, n, true
			}
		}
	}
	return nil, 0, "", false
}

// StaticPod reports whether o is a control-plane static pod (its mirror
// pod, in a live cluster): a Pod in kube-system one of whose containers
// runs kube-apiserver, kube-controller-manager, kube-scheduler or etcd,
// recognised as the control-plane rules recognise components. component
// names it. Such pods need host networking, host paths and root by
// design and are judged by the control-plane rules, not by the rules
// for application workloads.
func StaticPod(o *inventory.Object) (component string, ok bool) {
	_, _, name, ok := podComponent(o, controlPlaneComponents)
	return name, ok
}

// StaticPodCEL is StaticPod as a CEL expression over `object` (a
// ValidatingAdmissionPolicy's view of the object), built from the same
// component list and the same two tests as isComponentContainer, so that
// exported policies exempt the same pods as the scan. A test compares the
// two on fixtures.
var StaticPodCEL = staticPodCEL(controlPlaneComponents)

func staticPodCEL(names []string) string {
	quoted := make([]string, len(names))
	suffixes := make([]string, len(names))
	// first is the first word of the command line that is not a flag.
	first := "((has(c.command) ? c.command : []) + (has(c.args) ? c.args : [])).filter(a, !a.startsWith('-'))"
	for i, n := range names {
		quoted[i] = "'" + n + "'"
		suffixes[i] = first + "[0].endsWith('/" + n + "')"
	}
	list := "[" + strings.Join(quoted, ", ") + "]"
	byLabel := "(has(object.metadata.labels) && 'component' in object.metadata.labels && " +
		"object.metadata.labels['component'] in " + list + " && " +
		"(c.name == object.metadata.labels['component'] || size(object.spec.containers) == 1))"
	byBinary := "(size(" + first + ") > 0 && (" + first + "[0] in " + list + " || " + strings.Join(suffixes, " || ") + "))"
	return "(object.kind == 'Pod' && has(object.metadata.namespace) && object.metadata.namespace == 'kube-system' && " +
		"object.spec.containers.exists(c, " + byLabel + " || " + byBinary + "))"
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
