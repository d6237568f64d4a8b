//go:build tools

// Package tools pins the kube-apiserver and kube-controller-manager that
// kguard's integration tests run against. It is its own module, so
// k8s.io/kubernetes and the replace lines it needs (every staging module at
// the matching v0.X.Y) never touch kguard's go.mod. hack/cluster-bins.sh
// builds both from it.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
