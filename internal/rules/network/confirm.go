package network

import (
	"strings"

	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/rules"
)

// The helpers in this file attach to a finding the `kguard netpol can`
// query that shows its reachability claim (finding.Finding.Confirm).
// internal/agreement runs them on the scan's own inputs and requires
// "allowed".

// endpointName spells a pod as netpol can takes it: NAMESPACE/NAME.
func endpointName(p *netpol.Pod) string { return p.Namespace + "/" + p.Name }

// canReach is the `netpol can` query from one endpoint to another on one
// port (the first the destination declares, TCP 80 for an address).
func canReach(from, to string, dst *netpol.Pod) []string {
	return []string{"netpol", "can", from, to, "--port", netpol.TargetPorts(dst)[0].String()}
}

// openPeer is a peer that, by the rule's own reasoning, pod is open to in
// direction d: every address when no policy isolates it, else the range or
// pods of the first rule that allows everything. For pods, a pod that no
// policy restricts in the other direction stands for them (its own side
// must let the connection through too); false when there is none.
func openPeer(m *netpol.Model, pod *netpol.Pod, d direction) (string, bool) {
	in, out := m.PoliciesFor(pod)
	pols := in
	if d == egress {
		pols = out
	}
	if len(pols) == 0 {
		return "0.0.0.0/0", true
	}
	for _, pol := range pols {
		for _, r := range effectiveRules(pol.Spec) {
			w, all := allowsAll(r)
			if r.dir != d || !all {
				continue
			}
			// The query's port: the pod's own on ingress, the
			// destination's on egress (canReach's choice).
			port := netpol.TargetPorts(pod)[0]
			if w.cidr != "" {
				if d == egress {
					port = netpol.TargetPorts(nil)[0]
				}
				if coversPort(r, port.Protocol, port.Port) {
					return w.cidr, true
				}
				continue
			}
			if other := openCounterpart(m, pod, d); other != nil {
				if d == egress {
					port = netpol.TargetPorts(other)[0]
				}
				if coversPort(r, port.Protocol, port.Port) {
					return endpointName(other), true
				}
			}
		}
	}
	return "", false
}

// openCounterpart is a pod that no policy restricts in the direction
// opposite to d, so that a connection with pod is decided by pod's side
// alone: one in another namespace when there is one (the stronger claim:
// the rule admits every namespace), else another pod, else pod itself.
func openCounterpart(m *netpol.Model, pod *netpol.Pod, d direction) *netpol.Pod {
	var best *netpol.Pod
	rank := func(o *netpol.Pod) int {
		switch {
		case o.Namespace != pod.Namespace:
			return 3
		case o != pod:
			return 2
		}
		return 1
	}
	for _, other := range governed(m) {
		oin, oout := m.PoliciesFor(other)
		if d == ingress && len(oout) > 0 || d == egress && len(oin) > 0 {
			continue
		}
		if best == nil || rank(other) > rank(best) {
			best = other
		}
	}
	return best
}

// confirmOpen attaches the query showing pod open in direction d.
func confirmOpen(p *rules.Pass, m *netpol.Model, pod *netpol.Pod, d direction) {
	peer, ok := openPeer(m, pod, d)
	if !ok {
		return
	}
	if d == ingress {
		p.Confirm(canReach(peer, endpointName(pod), pod)...)
		return
	}
	if ns, name, ok := strings.Cut(peer, "/"); ok {
		if dst, ok := m.Pod(ns, name); ok {
			p.Confirm(canReach(endpointName(pod), peer, dst)...)
			return
		}
	}
	p.Confirm(canReach(endpointName(pod), peer, nil)...)
}
