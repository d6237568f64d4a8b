// Package all builds kguard's default rule registry from every family's
// explicit rule list. It is the only place that knows all families.
package all

import (
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/audit"
	"github.com/kguard/kguard/internal/rules/backup"
	"github.com/kguard/kguard/internal/rules/configaudit"
	"github.com/kguard/kguard/internal/rules/controlplane"
	"github.com/kguard/kguard/internal/rules/exposure"
	"github.com/kguard/kguard/internal/rules/images"
	"github.com/kguard/kguard/internal/rules/isolation"
	"github.com/kguard/kguard/internal/rules/network"
	"github.com/kguard/kguard/internal/rules/patching"
	"github.com/kguard/kguard/internal/rules/podsecurity"
	"github.com/kguard/kguard/internal/rules/rbac"
	"github.com/kguard/kguard/internal/rules/secrets"
	"github.com/kguard/kguard/internal/rules/tls"
)

// Registry returns the default registry. It fails only when a rule's
// metadata is invalid, which the tests catch before release.
func Registry() (*rules.Registry, error) {
	return rules.NewRegistry(
		podsecurity.Rules(),
		images.Rules(),
		isolation.Rules(),
		patching.Rules(),
		rbac.Rules(),
		network.Rules(),
		secrets.Rules(),
		tls.Rules(),
		exposure.Rules(),
		controlplane.Rules(),
		audit.Rules(),
		backup.Rules(),
		configaudit.Rules(),
	)
}
