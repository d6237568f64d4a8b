// Package network holds the rules about NetworkPolicies, evaluated with the
// netpol engine over the scanned pods and workload templates: namespaces
// without a default deny for ingress or egress, workloads no policy
// covers, policies that allow everything, select nothing or name ports no
// pod declares, and egress left open to the cloud metadata service or the
// Kubernetes API.
package network
