package network

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kguard/kguard/internal/cidrset"
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

// breadth is how much of the network a set of peers admits, narrowest
// first.
type breadth int

const (
	// narrow: some pods, namespaces or address ranges.
	narrow breadth = iota
	// internet: every internet address of a family, not every address
	// (0.0.0.0/0 except private ranges): the whole world, but not the
	// cluster's pods.
	internet
	// cluster: every pod of every namespace.
	cluster
	// everything: every pod and every address of a family (no peers, or
	// ipBlocks that together cover 0.0.0.0/0 or ::/0, which match pods
	// too).
	everything
)

// admission is what the peers of one rule, or of several rules on the
// same port, admit together.
type admission struct {
	// none: a rule without peers, which admits every peer.
	none      bool
	noneField string
	// allPods: a peer matches every pod of every namespace.
	allPods      bool
	allPodsField string
	// addrs is the union of the ipBlocks (cidr minus except).
	addrs      cidrset.Set
	blocks     []string // the ipBlocks as written, for messages
	blockField string   // the first ipBlock peer
}

// admitted reads what a rule's peers admit together.
func admitted(r policyRule) admission {
	var a admission
	if len(r.peers) == 0 {
		a.none, a.noneField = true, r.path()
		return a
	}
	for j, peer := range r.peers {
		field := fmt.Sprintf("%s.%s[%d]", r.path(), r.peerField(), j)
		switch {
		case peer.IPBlock != nil:
			// An unreadable range admits nothing; an unreadable except
			// cuts no hole (the API server rejects both).
			set, _ := cidrset.Block(peer.IPBlock.CIDR, peer.IPBlock.Except)
			a.addrs = cidrset.Union(a.addrs, set)
			text := "ipBlock " + peer.IPBlock.CIDR
			if len(peer.IPBlock.Except) > 0 {
				text += " except " + strings.Join(peer.IPBlock.Except, ", ")
			}
			a.blocks = append(a.blocks, text)
			if a.blockField == "" {
				a.blockField = field
			}
		case peer.NamespaceSelector != nil && allNamespaces(peer.NamespaceSelector) &&
			(peer.PodSelector == nil || emptySelector(peer.PodSelector)):
			if !a.allPods {
				a.allPods, a.allPodsField = true, field
			}
		}
	}
	return a
}

// union is what a and b admit together.
func (a admission) union(b admission) admission {
	out := a
	if b.none && !out.none {
		out.none, out.noneField = true, b.noneField
	}
	if b.allPods && !out.allPods {
		out.allPods, out.allPodsField = true, b.allPodsField
	}
	out.addrs = cidrset.Union(a.addrs, b.addrs)
	out.blocks = append(append([]string(nil), a.blocks...), b.blocks...)
	if out.blockField == "" {
		out.blockField = b.blockField
	}
	return out
}

// breadth measures the admission.
func (a admission) breadth() breadth {
	reach := a.addrs.Reach()
	switch {
	case a.none || reach.Everything():
		return everything
	case a.allPods:
		return cluster
	case reach.Internet():
		return internet
	}
	return narrow
}

// describe says in words what the admission lets in or out and where
// that is written: the widest reason.
func (a admission) describe(d direction) (why, field string) {
	side, peers := "source", "from"
	if d == egress {
		side, peers = "destination", "to"
	}
	reach := a.addrs.Reach()
	switch {
	case a.none:
		return fmt.Sprintf("every %s (it has no %q)", side, peers), a.noneField
	case reach.Everything():
		return fmt.Sprintf("every address (%s)", strings.Join(a.blocks, ", ")), a.blockField
	case a.allPods:
		return "every pod in every namespace (namespaceSelector: {})", a.allPodsField
	case reach.Internet():
		return fmt.Sprintf("every internet address (%s)", strings.Join(a.blocks, ", ")), a.blockField
	}
	return "", ""
}

// wildcard is a peer standing for everything a rule admits, for the
// `netpol can` query of a finding (confirm.go): an address range of a
// family the rule admits in full, or, with pods set, every pod.
type wildcard struct {
	cidr string
	pods bool
}

// allowsAll reports whether a rule admits every peer: no peers, peers that
// together cover every address of a family, or a peer matching every pod
// of every namespace. Its ports are not looked at (see coversPort).
func allowsAll(r policyRule) (wildcard, bool) {
	a := admitted(r)
	reach := a.addrs.Reach()
	switch {
	case a.none || reach.Everything4:
		return wildcard{cidr: "0.0.0.0/0"}, true
	case reach.Everything6:
		return wildcard{cidr: "::/0"}, true
	case a.allPods:
		return wildcard{pods: true}, true
	}
	return wildcard{}, false
}

// allNamespaces reports a namespace selector that matches every
// namespace: empty, or requiring only that the automatic name label
// exists.
func allNamespaces(s *metav1.LabelSelector) bool {
	if len(s.MatchLabels) > 0 {
		return false
	}
	for _, e := range s.MatchExpressions {
		if e.Key != corev1.LabelMetadataName || e.Operator != metav1.LabelSelectorOpExists {
			return false
		}
	}
	return true
}

func emptySelector(s *metav1.LabelSelector) bool {
	return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// protocols are the protocols a NetworkPolicy port may name.
var protocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

func portProtocol(p networkingv1.NetworkPolicyPort) corev1.Protocol {
	if p.Protocol == nil {
		return corev1.ProtocolTCP
	}
	return *p.Protocol
}

// coversPort reports whether a rule applies to a numbered port: it lists
// no ports, or an entry of that protocol with no port or a number (or
// range) holding it. Named ports are left out: they cover only the ports
// some pod declares under that name.
func coversPort(r policyRule, proto corev1.Protocol, port int32) bool {
	if len(r.ports) == 0 {
		return true
	}
	for _, p := range r.ports {
		if portProtocol(p) != proto {
			continue
		}
		if p.Port == nil {
			return true
		}
		if lo, hi, ok := portRange(p); ok && port >= lo && port <= hi {
			return true
		}
	}
	return false
}

// portRange is a numbered port entry's first and last port.
func portRange(p networkingv1.NetworkPolicyPort) (lo, hi int32, ok bool) {
	if p.Port == nil || p.Port.Type != intstr.Int {
		return 0, 0, false
	}
	lo, hi = p.Port.IntVal, p.Port.IntVal
	if p.EndPort != nil && *p.EndPort > lo {
		hi = *p.EndPort
	}
	return lo, hi, true
}

// openOnEveryPort reports whether rules, together, admit everything or
// the whole cluster on every port of every protocol. Ports are cut into
// segments at every range boundary the rules name, and the rules that
// cover a segment are joined, so two rules that split the ports, or two
// whose address ranges complete each other, count as one.
func openOnEveryPort(rules []policyRule) bool {
	if len(rules) == 0 {
		return false
	}
	for _, proto := range protocols {
		bounds := []int32{1, 65536}
		for _, r := range rules {
			for _, p := range r.ports {
				if lo, hi, ok := portRange(p); ok && portProtocol(p) == proto {
					bounds = append(bounds, lo, hi+1)
				}
			}
		}
		slices.Sort(bounds)
		bounds = slices.Compact(bounds)
		for i := 0; i+1 < len(bounds); i++ {
			port := bounds[i]
			if port < 1 || port > 65535 {
				continue
			}
			var a admission
			for _, r := range rules {
				if coversPort(r, proto, port) {
					a = a.union(admitted(r))
				}
			}
			if a.breadth() < cluster {
				return false
			}
		}
	}
	return true
}

// portsText says which ports a rule covers ("every port", "port 5432/TCP",
// `port "redis" (TCP)`, "ports 8000-8100/TCP, 53/UDP"), and whether that
// is every port of every protocol.
func portsText(r policyRule) (text string, every bool) {
	if openOnEveryPort([]policyRule{{dir: r.dir, ports: r.ports}}) {
		return "every port", true
	}
	var items []string
	for _, p := range r.ports {
		proto := portProtocol(p)
		switch {
		case p.Port == nil:
			items = append(items, "every "+string(proto)+" port")
		case p.Port.Type == intstr.String:
			items = append(items, fmt.Sprintf("%q (%s)", p.Port.StrVal, proto))
		default:
			lo, hi, _ := portRange(p)
			if hi > lo {
				items = append(items, fmt.Sprintf("%d-%d/%s", lo, hi, proto))
			} else {
				items = append(items, fmt.Sprintf("%d/%s", lo, proto))
			}
		}
	}
	if len(items) == 1 && !strings.HasPrefix(items[0], "every ") {
		return "port " + items[0], false
	}
	if len(items) == 1 {
		return items[0], false
	}
	return "ports " + strings.Join(items, ", "), false
}

// dnsOnly reports a rule limited to port 53 (DNS, over UDP or TCP).
func dnsOnly(r policyRule) bool {
	if len(r.ports) == 0 {
		return false
	}
	for _, p := range r.ports {
		lo, hi, ok := portRange(p)
		if !ok || lo != 53 || hi != 53 || portProtocol(p) == corev1.ProtocolSCTP {
			return false
		}
	}
	return true
}

// policiesRef names policies: NetworkPolicy "a", or NetworkPolicies "a", "b".
func policiesRef(pols []*netpol.Policy) string {
	if len(pols) == 1 {
		return "NetworkPolicy " + policyNames(pols)
	}
	return "NetworkPolicies " + policyNames(pols)
}
