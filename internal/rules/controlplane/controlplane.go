// Package controlplane holds the rules on control-plane and node
// configuration (API server, controller manager, scheduler, etcd, kubelet),
// in the categories of what they protect.
package controlplane

import "github.com/kguard/kguard/internal/rules"

// Rules returns the family's rules.
func Rules() []*rules.Rule { return nil }
