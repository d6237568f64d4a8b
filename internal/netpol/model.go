package netpol

import (
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/cidrset"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
)

// Model is the network-policy state of an inventory.
type Model struct {
	Pods     []*Pod
	Policies []*Policy

	nsLabels map[string]labels.Set
	podCIDRs []netip.Prefix
	byName   map[string]*Pod   // "ns/name"
	byNS     map[string][]*Pod // pods per namespace
	// Compiled selectors, per policy.
	compiled map[*Policy]*compiledPolicy
	// ingressOf and egressOf are the policies selecting each pod.
	ingressOf, egressOf map[*Pod][]*Policy
}

const metadataNameLabel = "kubernetes.io/metadata.name"

// Build reads the pods, namespaces and NetworkPolicies of inv.
func Build(inv *inventory.Inventory, opts Options) *Model {
	m := &Model{
		nsLabels:  map[string]labels.Set{},
		byName:    map[string]*Pod{},
		byNS:      map[string][]*Pod{},
		compiled:  map[*Policy]*compiledPolicy{},
		ingressOf: map[*Pod][]*Policy{},
		egressOf:  map[*Pod][]*Policy{},
		podCIDRs:  opts.PodCIDRs,
	}
	if len(m.podCIDRs) == 0 {
		m.podCIDRs = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	}
	ensureNS := func(ns string) {
		if _, ok := m.nsLabels[ns]; !ok {
			m.nsLabels[ns] = labels.Set{metadataNameLabel: ns}
		}
	}
	for _, o := range inv.ByKind("", "Namespace") {
		set := labels.Set{}
		for k, v := range o.Meta.Labels {
			set[k] = v
		}
		set[metadataNameLabel] = o.Name
		m.nsLabels[o.Name] = set
	}
	for _, o := range inv.Objects() {
		w, ok := extract.PodSpec(o)
		if !ok {
			continue
		}
		ns := namespaceOf(o)
		ensureNS(ns)
		p := &Pod{Object: o, Namespace: ns, Name: o.Name, Labels: w.PodMeta.Labels}
		for _, c := range w.Spec.InitContainers {
			// Only restartable init containers (sidecars) run next to the
			// app and serve; ordinary ones have exited by then.
			if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
				p.Ports = append(p.Ports, c.Ports...)
			}
		}
		for _, c := range w.Spec.Containers {
			p.Ports = append(p.Ports, c.Ports...)
		}
		m.Pods = append(m.Pods, p)
		m.byName[ns+"/"+o.Name] = p
		m.byNS[ns] = append(m.byNS[ns], p)
	}
	for _, o := range inv.ByKind("networking.k8s.io", "NetworkPolicy") {
		np, ok := o.Typed.(*networkingv1.NetworkPolicy)
		if !ok {
			continue
		}
		ensureNS(namespaceOf(o))
		pol := &Policy{Object: o, Spec: &np.Spec}
		pol.Ingress, pol.Egress = policyTypes(&np.Spec)
		m.Policies = append(m.Policies, pol)
		m.compiled[pol] = m.compile(pol)
	}
	for _, pol := range m.Policies {
		for _, p := range m.SelectedBy(pol) {
			if pol.Ingress {
				m.ingressOf[p] = append(m.ingressOf[p], pol)
			}
			if pol.Egress {
				m.egressOf[p] = append(m.egressOf[p], pol)
			}
		}
	}
	return m
}

func namespaceOf(o *inventory.Object) string {
	if o.Namespace == "" {
		return "default"
	}
	return o.Namespace
}

// policyTypes applies the API's defaulting: Ingress always, Egress when
// the policy has egress rules, unless policyTypes is given.
func policyTypes(s *networkingv1.NetworkPolicySpec) (ingress, egress bool) {
	if len(s.PolicyTypes) == 0 {
		return true, len(s.Egress) > 0
	}
	for _, t := range s.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// Pod returns the pod or workload of that namespace and name.
func (m *Model) Pod(namespace, name string) (*Pod, bool) {
	p, ok := m.byName[namespace+"/"+name]
	return p, ok
}

// Namespaces returns the namespaces the model knows, sorted.
func (m *Model) Namespaces() []string {
	out := make([]string, 0, len(m.nsLabels))
	for ns := range m.nsLabels {
		out = append(out, ns)
	}
	sort.Strings(out)
	return out
}

// NamespaceLabels returns a namespace's labels, with the automatic name
// label.
func (m *Model) NamespaceLabels(ns string) map[string]string {
	if l, ok := m.nsLabels[ns]; ok {
		return l
	}
	return labels.Set{metadataNameLabel: ns}
}

// SelectedBy returns the pods a policy applies to.
func (m *Model) SelectedBy(pol *Policy) []*Pod {
	cp := m.compiled[pol]
	var out []*Pod
	for _, p := range m.byNS[namespaceOf(pol.Object)] {
		if cp.pods.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

// PoliciesFor returns the policies isolating a pod for ingress and egress.
func (m *Model) PoliciesFor(p *Pod) (ingress, egress []*Policy) {
	return m.ingressOf[p], m.egressOf[p]
}

// compiledPolicy holds a policy's selectors, parsed once.
type compiledPolicy struct {
	pods           labels.Selector
	ingress, egres []compiledRule
}

type compiledRule struct {
	all   bool // no from/to: every peer
	peers []compiledPeer
	ports []networkingv1.NetworkPolicyPort // empty: every port
	// addrs are the addresses the rule's ipBlocks admit together: the
	// union over its peers of cidr minus except.
	addrs cidrset.Set
	// blockPods is set when addrs covers a whole pod network: whatever a
	// pod's address, some ipBlock of the rule contains it.
	blockPods bool
}

// compiledPeer is a pod and namespace selector peer (ipBlock peers are
// folded into compiledRule.addrs).
type compiledPeer struct {
	pods, namespaces labels.Selector // nil when absent
}

func selector(s *metav1.LabelSelector) labels.Selector {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return labels.Nothing() // an invalid selector selects nothing, as the API rejects it
	}
	return sel
}

func (m *Model) compile(pol *Policy) *compiledPolicy {
	cp := &compiledPolicy{pods: selector(&pol.Spec.PodSelector)}
	for _, r := range pol.Spec.Ingress {
		cp.ingress = append(cp.ingress, m.compileRule(r.From, r.Ports))
	}
	for _, r := range pol.Spec.Egress {
		cp.egres = append(cp.egres, m.compileRule(r.To, r.Ports))
	}
	return cp
}

func (m *Model) compileRule(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) compiledRule {
	r := compiledRule{all: len(peers) == 0, ports: ports}
	for _, p := range peers {
		if p.IPBlock != nil {
			// The API server rejects malformed CIDRs; in manifests an
			// unreadable cidr admits nothing and an unreadable except
			// cuts no hole (the broader reading).
			set, _ := cidrset.Block(p.IPBlock.CIDR, p.IPBlock.Except)
			r.addrs = cidrset.Union(r.addrs, set)
			continue
		}
		var c compiledPeer
		if p.PodSelector != nil {
			c.pods = selector(p.PodSelector)
		}
		if p.NamespaceSelector != nil {
			c.namespaces = selector(p.NamespaceSelector)
		}
		r.peers = append(r.peers, c)
	}
	for _, pn := range m.podCIDRs {
		if r.addrs.ContainsPrefix(pn) {
			r.blockPods = true
		}
	}
	return r
}

// ModelAnalysis is the model of an inventory as every consumer builds it:
// the network rules of the scan and `kguard netpol` use the same one, so
// they give the same answer, and the HTML report draws the reachability
// matrix from it.
var ModelAnalysis = &analysis.Analysis[*Model]{
	Name:  "network.model",
	Build: func(inv *inventory.Inventory) *Model { return Build(inv, Options{}) },
}
