package patching

import "github.com/kguard/kguard/internal/rules"

// Rules returns the patching family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{apiRemoved(), apiDeprecated(), podSecurityPolicy(), kubeletVersionSkew()}
}
