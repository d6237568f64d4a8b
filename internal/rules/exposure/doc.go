// Package exposure holds the rules about what a cluster opens to the
// outside: Services reachable beyond the cluster (load balancers, node
// ports, external IPs), workloads bound to the node's addresses, Ingress
// routes that publish admin endpoints or dashboards, and ExternalName
// aliases that lead back to internal addresses.
package exposure
