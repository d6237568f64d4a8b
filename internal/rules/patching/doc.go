// Package patching holds the patching rule family: API versions that a
// target Kubernetes release deprecates or no longer serves, and
// PodSecurityPolicy objects with the Pod Security Standards level to move
// them to.
package patching
