package podsecurity

import "github.com/kguard/kguard/internal/rules"

// Rules returns the podsecurity family's rules.
func Rules() []*rules.Rule { return nil }
