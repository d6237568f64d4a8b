package secrets

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/rules"
)

var secretKind = []schema.GroupKind{{Kind: "Secret"}}

// Rules returns the secrets family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{envLiteral(), credentialPattern(), inArgs(), envFromSecret(), wrongType(), inManifest(), encryptionAtRest()}
}
