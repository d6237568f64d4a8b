package podsecurity

import "github.com/kguard/kguard/internal/rules"

// Rules returns the podsecurity family's rules: the PSS checks in the
// evaluator's order, then the hardening rules.
func Rules() []*rules.Rule {
	out := pssRules()
	return append(out, readOnlyRootFS(), resourceLimitsMissing(), tokenAutomount())
}
