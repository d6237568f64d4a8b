package network

import "github.com/kguard/kguard/internal/rules"

// Rules returns the network family's rules.
func Rules() []*rules.Rule { return nil }
