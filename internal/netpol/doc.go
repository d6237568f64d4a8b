// Package netpol evaluates networking.k8s.io/v1 NetworkPolicies over the
// pods of an inventory (Pods, and the pod templates of workloads, so it
// works on manifests as well as live clusters): whether one endpoint may
// reach another on a port and protocol, and which policies decide it.
//
// Semantics, as the Kubernetes documentation defines them:
//   - A pod is isolated for ingress (egress) once any policy in its
//     namespace selects it and has Ingress (Egress) in its policyTypes.
//     policyTypes defaults to Ingress, plus Egress when egress rules exist.
//   - Policies add up: traffic is allowed when the egress side allows it
//     (or the source is not isolated, or is outside the cluster) and the
//     ingress side allows it (likewise).
//   - A rule with no from/to allows every peer; no ports allows every port.
//     An empty rule list (ingress: []) allows nothing.
//   - A peer's podSelector alone selects pods in the policy's namespace;
//     namespaceSelector alone, every pod of the matching namespaces; both,
//     the matching pods of the matching namespaces. Namespaces carry the
//     automatic kubernetes.io/metadata.name label.
//   - ipBlock matches addresses outside the cluster by CIDR minus except,
//     computed as address sets (internal/cidrset). Pod addresses are not
//     known from manifests: a pod matches a rule's ipBlocks only when
//     together (the union over the rule's peers of cidr minus except)
//     they cover a whole pod network (Options.PodCIDRs, by default
//     0.0.0.0/0 and ::/0): 0.0.0.0/0 does, and so do 0.0.0.0/1 with
//     128.0.0.0/1; 0.0.0.0/0 except 10.0.0.0/8 does not.
//   - Ports: by number (with endPort ranges) or by name, resolved against
//     the destination pod's container ports; protocol defaults to TCP.
package netpol
