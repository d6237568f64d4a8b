package isolation

import "github.com/kguard/kguard/internal/rules"

// Rules returns the isolation family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{
		defaultNamespace(),
		namespaceNotSet(),
		podSecurityNotEnforced(),
		missingResourceLimits(),
	}
}
