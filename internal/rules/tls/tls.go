package tls

import "github.com/kguard/kguard/internal/rules"

// Rules returns the tls family's rules.
func Rules() []*rules.Rule { return nil }
