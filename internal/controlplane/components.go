package controlplane

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/inventory"
)

// Names of the control-plane components besides the API server that run as
// static pods on kubeadm-style control planes.
const (
	ComponentControllerManager = "kube-controller-manager"
	ComponentScheduler         = "kube-scheduler"
	ComponentEtcd              = "etcd"
)

// componentNames are the components Components recognises, in report order.
var componentNames = []string{ComponentControllerManager, ComponentScheduler, ComponentEtcd}

// Component is one control-plane component other than the API server
// (controller manager, scheduler, etcd) as its static pod describes it.
type Component struct {
	// Name is ComponentControllerManager, ComponentScheduler or ComponentEtcd.
	Name string
	// Pod is the static (mirror) pod the flags were read from.
	Pod *inventory.Object
	// Container is the name of the component's container.
	Container string
	// Flags holds every --flag of the command line with its values in
	// order, as ParseFlags reads them.
	Flags map[string][]string
}

// flagView lets Component share APIServer's flag accessors.
func (c *Component) flagView() *APIServer { return &APIServer{Flags: c.Flags} }

// Value returns the last value of a flag, as the component reads it.
func (c *Component) Value(name string) (string, bool) { return c.flagView().Value(name) }

// Bool returns a boolean flag, or def when it is not set or not a boolean.
func (c *Component) Bool(name string, def bool) bool { return c.flagView().Bool(name, def) }

// List returns a comma-separated flag split into its items.
func (c *Component) List(name string) []string { return c.flagView().List(name) }

// ComponentsAnalysis gives rules the controller-manager, scheduler and etcd
// static pods of the scanned inventory, built once per scan.
var ComponentsAnalysis = &analysis.Analysis[[]*Component]{Name: "controlplane.components", Build: ComponentsFromInventory}

// ComponentsFromInventory finds the kube-controller-manager, kube-scheduler
// and etcd static pods in kube-system, recognised like the API server: by
// the kubeadm component label or by the binary the container runs.
func ComponentsFromInventory(inv *inventory.Inventory) []*Component {
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
			for _, name := range componentNames {
				if isComponentContainer(pod, c, name) {
					out = append(out, &Component{
						Name:      name,
						Pod:       o,
						Container: c.Name,
						Flags:     ParseFlags(append(append([]string{}, c.Command...), c.Args...)),
					})
					break containers
				}
			}
		}
	}
	return out
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

// ContainerImage returns the image of the named container of a pod object.
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
