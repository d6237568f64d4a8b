package network

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/rules"
)

// Rules returns the network family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{
		noDefaultDenyIngress(),
		noDefaultDenyEgress(),
		workloadNotSelected(),
		policyAllowsAll(),
		egressToMetadataOrAPIServer(),
		policySelectsNothing(),
		policyPortNotExposed(),
	}
}

// modelAnalysis is the NetworkPolicy model of the scanned inventory, built
// once per scan for every rule of the family (and for reports that draw the
// reachability matrix).
var modelAnalysis = netpol.ModelAnalysis

const policyDocs = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"

// nsa is the NSA-CISA Kubernetes Hardening Guide section every rule of the
// family follows.
var nsa = []string{"Network separation and hardening"}

// namespaceOf is the namespace the model puts an object in: its own, or
// default when unset, as the API server would.
func namespaceOf(o *inventory.Object) string {
	if o.Namespace == "" {
		return "default"
	}
	return o.Namespace
}

// hostNetwork reports whether the pod runs in the node's network
// namespace, where NetworkPolicies do not apply.
func hostNetwork(p *netpol.Pod) bool {
	w, ok := extract.PodSpec(p.Object)
	return ok && w.Spec.HostNetwork
}

// governed are the pods NetworkPolicies can act on, in load order.
func governed(m *netpol.Model) []*netpol.Pod {
	out := make([]*netpol.Pod, 0, len(m.Pods))
	for _, p := range m.Pods {
		if !hostNetwork(p) {
			out = append(out, p)
		}
	}
	return out
}

// describe names an object the way messages do: Deployment "web".
func describe(o *inventory.Object) string { return fmt.Sprintf("%s %q", o.Kind, o.Name) }

// list joins up to five descriptions, then says how many more there are.
func list(items []string) string {
	const max = 5
	if len(items) <= max {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:max], ", ") + fmt.Sprintf(" and %d more", len(items)-max)
}

func policyNames(pols []*netpol.Policy) string {
	names := make([]string, len(pols))
	for i, p := range pols {
		names[i] = strconv.Quote(p.Object.Name)
	}
	return list(names)
}

func workloads(n int) string {
	if n == 1 {
		return "1 workload"
	}
	return strconv.Itoa(n) + " workloads"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// namespaceTarget is where a namespace-level finding goes: the Namespace
// object when it was scanned (the place to fix it), else fallback, so that
// the finding always has a file and line.
func namespaceTarget(inv *inventory.Inventory, ns string, fallback *inventory.Object) *inventory.Object {
	if o, ok := inv.Get("", "Namespace", "", ns); ok {
		return o
	}
	return fallback
}

// direction is one of the two sides a policy can isolate.
type direction int

const (
	ingress direction = iota
	egress
)

func (d direction) String() string {
	if d == ingress {
		return "ingress"
	}
	return "egress"
}

// directions applies the API's policyTypes defaulting: Ingress always,
// Egress when there are egress rules, unless policyTypes is given.
func directions(s *networkingv1.NetworkPolicySpec) (in, out bool) {
	if len(s.PolicyTypes) == 0 {
		return true, len(s.Egress) > 0
	}
	for _, t := range s.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			in = true
		case networkingv1.PolicyTypeEgress:
			out = true
		}
	}
	return in, out
}

// policyRule is one ingress or egress rule of a policy, direction-neutral.
type policyRule struct {
	dir   direction
	index int
	peers []networkingv1.NetworkPolicyPeer
	ports []networkingv1.NetworkPolicyPort
}

func (r policyRule) path() string { return fmt.Sprintf("spec.%s[%d]", r.dir, r.index) }

func (r policyRule) peerField() string {
	if r.dir == ingress {
		return "from"
	}
	return "to"
}

// effectiveRules lists the rules of the directions the policy isolates
// (rules of a direction missing from policyTypes are ignored by the API).
func effectiveRules(s *networkingv1.NetworkPolicySpec) []policyRule {
	in, out := directions(s)
	var rs []policyRule
	if in {
		for i, r := range s.Ingress {
			rs = append(rs, policyRule{dir: ingress, index: i, peers: r.From, ports: r.Ports})
		}
	}
	if out {
		for i, r := range s.Egress {
			rs = append(rs, policyRule{dir: egress, index: i, peers: r.To, ports: r.Ports})
		}
	}
	return rs
}

// wildcard is why a rule allows every peer on every port.
type wildcard struct {
	field string // field path of the rule or the peer
	why   string // "every source (no from)", ...
	// cidr is an address range the rule admits in full (every address
	// for a rule without peers); pods is set for a peer that admits every
	// pod instead.
	cidr string
	pods bool
}

// allowsAll reports whether a rule admits every peer on every port: it has
// no ports and either no peers, or a peer that matches every pod of every
// namespace (namespaceSelector: {} with no or an empty podSelector), or
// every address (ipBlock 0.0.0.0/0 or ::/0 without except).
func allowsAll(r policyRule) (wildcard, bool) {
	if len(r.ports) > 0 {
		return wildcard{}, false
	}
	side := "source"
	if r.dir == egress {
		side = "destination"
	}
	if len(r.peers) == 0 {
		return wildcard{field: r.path(), why: fmt.Sprintf("every %s (it has no %q)", side, r.peerField()), cidr: "0.0.0.0/0"}, true
	}
	for j, peer := range r.peers {
		field := fmt.Sprintf("%s.%s[%d]", r.path(), r.peerField(), j)
		switch {
		case peer.IPBlock != nil:
			if cidr, err := netip.ParsePrefix(peer.IPBlock.CIDR); err == nil && cidr.Bits() == 0 && len(peer.IPBlock.Except) == 0 {
				return wildcard{field: field, why: fmt.Sprintf("every address (ipBlock %s)", peer.IPBlock.CIDR), cidr: cidr.String()}, true
			}
		case peer.NamespaceSelector != nil && emptySelector(peer.NamespaceSelector) &&
			(peer.PodSelector == nil || emptySelector(peer.PodSelector)):
			return wildcard{field: field, why: "every pod in every namespace (namespaceSelector: {})", pods: true}, true
		}
	}
	return wildcard{}, false
}

func emptySelector(s *metav1.LabelSelector) bool {
	return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// policiesRef names policies: NetworkPolicy "a", or NetworkPolicies "a", "b".
func policiesRef(pols []*netpol.Policy) string {
	if len(pols) == 1 {
		return "NetworkPolicy " + policyNames(pols)
	}
	return "NetworkPolicies " + policyNames(pols)
}
