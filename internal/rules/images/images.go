package images

import "github.com/kguard/kguard/internal/rules"

// Rules returns the images family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{latestTag(), notPinnedByDigest(), pullPolicyNotAlways(), registryNotAllowed(), vulnerable(), signatureInvalid()}
}
