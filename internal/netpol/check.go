package netpol

import (
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
		if r.all || m.ruleAdmits(r, policyNS, peer) {
			return true
		}
	}
	return false
}

// ruleAdmits reports whether a rule's peers admit e: an address by the
// rule's ipBlocks; a pod by a selector peer, or by ipBlocks that together
// cover a whole pod network (pod addresses are not known from manifests).
func (m *Model) ruleAdmits(r *compiledRule, policyNS string, e Endpoint) bool {
	if e.Pod == nil {
		return r.addrs.Contains(e.Addr)
	}
	if r.blockPods {
		return true
	}
	for j := range r.peers {
		if m.peerMatches(&r.peers[j], policyNS, e.Pod) {
			return true
		}
	}
	return false
}

func (m *Model) peerMatches(p *compiledPeer, policyNS string, pod *Pod) bool {
	if p.namespaces != nil {
		if !p.namespaces.Matches(m.nsLabelsOf(pod.Namespace)) {
			return false
		}
	} else if pod.Namespace != policyNS {
		return false
	}
	return p.pods == nil || p.pods.Matches(labels.Set(pod.Labels))
}

func (m *Model) nsLabelsOf(ns string) labels.Set {
	if l, ok := m.nsLabels[ns]; ok {
		return l
	}
	return labels.Set{metadataNameLabel: ns}
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
