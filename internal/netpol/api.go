package netpol

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kguard/kguard/internal/inventory"
)

// Pod is an endpoint inside the cluster: a Pod, or the pod template of a
// workload (Deployment, StatefulSet, DaemonSet, Job, CronJob...).
type Pod struct {
	// Object is the Pod or workload.
	Object    *inventory.Object
	Namespace string
	Name      string // the object's name
	Labels    map[string]string
	// Ports are the container ports of all its containers.
	Ports []corev1.ContainerPort
}

// Policy is one NetworkPolicy.
type Policy struct {
	Object *inventory.Object
	Spec   *networkingv1.NetworkPolicySpec
	// Ingress and Egress say which directions the policy isolates, after
	// defaulting policyTypes.
	Ingress, Egress bool
}

// Endpoint is one side of a connection: a pod, or an address outside the
// cluster.
type Endpoint struct {
	Pod  *Pod       // nil for an external address
	Addr netip.Addr // set when Pod is nil
}

// Connection is what is asked: from, to, port and protocol (TCP when empty).
type Connection struct {
	From, To Endpoint
	Port     int32
	Protocol corev1.Protocol
}

// Side is the decision of one direction.
type Side struct {
	// Isolated is true when some policy selects the pod for this direction.
	Isolated bool
	// Selecting are the policies that select the pod for this direction.
	Selecting []*Policy
	// AllowedBy are the selecting policies with a rule that allows the
	// connection.
	AllowedBy []*Policy
}

// Allowed reports whether this side lets the connection through.
func (s Side) Allowed() bool { return !s.Isolated || len(s.AllowedBy) > 0 }

// Verdict is the decision for a connection: egress at the source, ingress
// at the destination.
type Verdict struct {
	Egress, Ingress Side
}

// Allowed reports whether both directions allow the connection.
func (v Verdict) Allowed() bool { return v.Egress.Allowed() && v.Ingress.Allowed() }

// Options tune the model.
type Options struct {
	// PodCIDRs are the cluster's pod networks, for ipBlock matching of
	// pods. Default: 0.0.0.0/0 and ::/0 (only all-covering blocks match).
	PodCIDRs []netip.Prefix
}
