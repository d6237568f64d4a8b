package exposure

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/cidrset"
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
// or ranges that together cover every internet address of a family
// (compared as address sets, so 0.0.0.0/1 with 128.0.0.0/1 is as open as
// 0.0.0.0/0). field is where that shows and why says it in words ("sets
// no loadBalancerSourceRanges").
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
	// The cloud providers reject unreadable ranges; they admit nothing here.
	all, _ := cidrset.Parse(ranges)
	reach := all.Reach()
	if !reach.Internet() {
		return "", "", false
	}
	var open, notes []string
	first := -1
	for _, fam := range []struct {
		name                      string
		everything, internet, is4 bool
	}{
		{"IPv4", reach.Everything4, reach.Internet4, true},
		{"IPv6", reach.Everything6, reach.Internet6, false},
	} {
		if !fam.internet {
			continue
		}
		// Entries that are open on their own are named alone (0.0.0.0/0);
		// otherwise every entry of the family takes part.
		var singles, members []string
		var singleIdx, memberIdx []int
		for i, r := range ranges {
			p, err := cidrset.ParsePrefix(r)
			if err != nil || p.Addr().Is4() != fam.is4 {
				continue
			}
			members, memberIdx = append(members, strings.TrimSpace(r)), append(memberIdx, i)
			rr := cidrset.Of(p).Reach()
			if (fam.is4 && (rr.Everything4 || (!fam.everything && rr.Internet4))) ||
				(!fam.is4 && (rr.Everything6 || (!fam.everything && rr.Internet6))) {
				singles, singleIdx = append(singles, strings.TrimSpace(r)), append(singleIdx, i)
			}
		}
		scope := "every " + fam.name + " address"
		if !fam.everything {
			scope = "every " + fam.name + " internet address"
		}
		switch {
		case len(singles) > 0:
			open = append(open, singles...)
			if !fam.everything {
				notes = append(notes, "which covers "+scope)
			}
			if first < 0 || singleIdx[0] < first {
				first = singleIdx[0]
			}
		default:
			open = append(open, members...)
			notes = append(notes, "which together cover "+scope)
			if first < 0 || memberIdx[0] < first {
				first = memberIdx[0]
			}
		}
	}
	if !fromAnnotation && first >= 0 {
		field = fmt.Sprintf("%s[%d]", field, first)
	}
	why = "allows " + strings.Join(open, " and ") + " in " + where
	if len(notes) > 0 {
		why += ", " + strings.Join(notes, ", and ")
	}
	return field, why, true
}
