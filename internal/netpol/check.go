package netpol

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Check decides a connection: egress at the source pod, ingress at the
// destination pod. External endpoints are not isolated.
func (m *Model) Check(c Connection) Verdict {
	if c.Protocol == "" {
		c.Protocol = corev1.ProtocolTCP
	}
	var v Verdict
	if c.From.Pod != nil {
		v.Egress = m.side(m.egressOf[c.From.Pod], func(cp *compiledPolicy) []compiledRule { return cp.egres }, c.To, c)
	}
	if c.To.Pod != nil {
		v.Ingress = m.side(m.ingressOf[c.To.Pod], func(cp *compiledPolicy) []compiledRule { return cp.ingress }, c.From, c)
	}
	return v
}

func (m *Model) side(pols []*Policy, rulesOf func(*compiledPolicy) []compiledRule, peer Endpoint, c Connection) Side {
	s := Side{Isolated: len(pols) > 0, Selecting: pols}
	for _, pol := range pols {
		if m.rulesAllow(rulesOf(m.compiled[pol]), namespaceOf(pol.Object), peer, c) {
			s.AllowedBy = append(s.AllowedBy, pol)
		}
	}
	return s
}

func (m *Model) rulesAllow(rules []compiledRule, policyNS string, peer Endpoint, c Connection) bool {
	for i := range rules {
		r := &rules[i]
		if !portsMatch(r.ports, c.To.Pod, c.Port, c.Protocol) {
			continue
		}
		if r.all {
			return true
		}
		for j := range r.peers {
			if m.peerMatches(&r.peers[j], policyNS, peer) {
				return true
			}
		}
	}
	return false
}

func (m *Model) peerMatches(p *compiledPeer, policyNS string, e Endpoint) bool {
	if p.block != nil {
		return m.blockMatches(p.block, e)
	}
	if e.Pod == nil {
		return false
	}
	if p.namespaces != nil {
		if !p.namespaces.Matches(m.nsLabelsOf(e.Pod.Namespace)) {
			return false
		}
	} else if e.Pod.Namespace != policyNS {
		return false
	}
	return p.pods == nil || p.pods.Matches(labels.Set(e.Pod.Labels))
}

func (m *Model) nsLabelsOf(ns string) labels.Set {
	if l, ok := m.nsLabels[ns]; ok {
		return l
	}
	return labels.Set{metadataNameLabel: ns}
}

// blockMatches: an address by CIDR minus except; a pod only when the block
// covers a whole pod network and no except range touches it.
func (m *Model) blockMatches(b *ipBlock, e Endpoint) bool {
	if e.Pod == nil {
		if !b.cidr.Contains(e.Addr) {
			return false
		}
		for _, x := range b.except {
			if x.Contains(e.Addr) {
				return false
			}
		}
		return true
	}
	for _, pn := range m.podCIDRs {
		if !covers(b.cidr, pn) {
			continue
		}
		clean := true
		for _, x := range b.except {
			if x.Overlaps(pn) {
				clean = false
				break
			}
		}
		if clean {
			return true
		}
	}
	return false
}

func covers(outer, inner netip.Prefix) bool {
	return outer.Addr().Is4() == inner.Addr().Is4() && outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

// portsMatch: no ports means every port; a numbered port (with endPort, a
// range) or a named one, resolved against the destination pod's container
// ports; protocols default to TCP.
func portsMatch(ports []networkingv1.NetworkPolicyPort, dst *Pod, port int32, proto corev1.Protocol) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		pp := corev1.ProtocolTCP
		if p.Protocol != nil {
			pp = *p.Protocol
		}
		if pp != proto {
			continue
		}
		switch {
		case p.Port == nil:
			return true
		case p.Port.Type == intstr.Int:
			lo, hi := p.Port.IntVal, p.Port.IntVal
			if p.EndPort != nil {
				hi = *p.EndPort
			}
			if port >= lo && port <= hi {
				return true
			}
		case dst != nil:
			for _, cp := range dst.Ports {
				cproto := cp.Protocol
				if cproto == "" {
					cproto = corev1.ProtocolTCP
				}
				if cp.Name == p.Port.StrVal && cp.ContainerPort == port && cproto == proto {
					return true
				}
			}
		}
	}
	return false
}
