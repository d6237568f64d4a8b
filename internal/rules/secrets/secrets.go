package secrets

import "github.com/kguard/kguard/internal/rules"

// Rules returns the secrets family's rules.
func Rules() []*rules.Rule { return nil }
