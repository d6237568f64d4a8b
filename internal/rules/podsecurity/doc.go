// Package podsecurity holds the pod-security rule family: one rule per
// check of the Pod Security Standards, evaluated by
// k8s.io/pod-security-admission/policy (the code the API server's Pod
// Security Admission runs, so kguard agrees with the cluster), plus
// container hardening the standards leave out.
package podsecurity
