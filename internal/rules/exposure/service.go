package exposure

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/inventory"
)

// serviceKinds is the Kinds value of the rules that look at Services.
var serviceKinds = []schema.GroupKind{{Kind: "Service"}}

// service returns obj as a typed Service.
func service(obj *inventory.Object) (*corev1.Service, bool) {
	svc, ok := obj.Typed.(*corev1.Service)
	return svc, ok
}

// protocol is p, or TCP (the API default) when unset.
func protocol(p corev1.Protocol) string {
	if p == "" {
		return string(corev1.ProtocolTCP)
	}
	return string(p)
}

// servicePorts renders a Service's ports as "80/TCP, 443/TCP".
func servicePorts(svc *corev1.Service) string {
	if len(svc.Spec.Ports) == 0 {
		return "(none declared)"
	}
	out := make([]string, len(svc.Spec.Ports))
	for i, p := range svc.Spec.Ports {
		out[i] = strconv.Itoa(int(p.Port)) + "/" + protocol(p.Protocol)
	}
	return strings.Join(out, ", ")
}

// keyPath is the field path of one key of a map field, in the form the
// other families use: metadata.annotations["example.com/key"].
func keyPath(field, key string) string {
	return field + `["` + key + `"]`
}

// sourceRangesAnnotation is the older way to set loadBalancerSourceRanges;
// cloud providers read it when the field is empty.
const sourceRangesAnnotation = "service.beta.kubernetes.io/load-balancer-source-ranges"

// internalLBAnnotations are the cloud provider annotations that make a
// LoadBalancer Service get an address on the private network only.
var internalLBAnnotations = []struct {
	key      string
	internal func(value string) bool
}{
	{"networking.gke.io/load-balancer-type", equalFold("Internal")},
	{"cloud.google.com/load-balancer-type", equalFold("Internal")},
	{"service.beta.kubernetes.io/aws-load-balancer-internal", isTrue},
	{"service.beta.kubernetes.io/aws-load-balancer-scheme", equalFold("internal")},
	{"service.beta.kubernetes.io/azure-load-balancer-internal", isTrue},
	{"service.beta.kubernetes.io/oci-load-balancer-internal", isTrue},
}

func equalFold(want string) func(string) bool {
	return func(v string) bool { return strings.EqualFold(strings.TrimSpace(v), want) }
}

func isTrue(v string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	return err == nil && b
}

// internalLoadBalancer reports whether annotations ask for an internal
// load balancer.
func internalLoadBalancer(annotations map[string]string) bool {
	for _, a := range internalLBAnnotations {
		if v, ok := annotations[a.key]; ok && a.internal(v) {
			return true
		}
	}
	return false
}

// publicLoadBalancer reports whether svc is a LoadBalancer Service that
// any internet address may reach: not internal, and with no source ranges
// or a range covering every address. field is where that shows and why
// says it in words ("sets no loadBalancerSourceRanges").
func publicLoadBalancer(svc *corev1.Service) (field, why string, public bool) {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || internalLoadBalancer(svc.Annotations) {
		return "", "", false
	}
	// The field wins over the annotation when both are set.
	ranges, field, where := svc.Spec.LoadBalancerSourceRanges, "spec.loadBalancerSourceRanges", "loadBalancerSourceRanges"
	fromAnnotation := false
	if len(ranges) == 0 {
		if v := strings.TrimSpace(svc.Annotations[sourceRangesAnnotation]); v != "" {
			ranges = strings.Split(v, ",")
			field = keyPath("metadata.annotations", sourceRangesAnnotation)
			where = "annotation " + sourceRangesAnnotation
			fromAnnotation = true
		}
	}
	if len(ranges) == 0 {
		return field, "sets no loadBalancerSourceRanges", true
	}
	var open []string
	first := -1
	for i, r := range ranges {
		r = strings.TrimSpace(r)
		// A /0 prefix covers every address of its family, whatever its bits.
		if pfx, err := netip.ParsePrefix(r); err == nil && pfx.Bits() == 0 {
			open = append(open, r)
			if first < 0 {
				first = i
			}
		}
	}
	if len(open) == 0 {
		return "", "", false
	}
	if !fromAnnotation {
		field = fmt.Sprintf("%s[%d]", field, first)
	}
	return field, "allows " + strings.Join(open, " and ") + " in " + where, true
}
