package rbac

import "github.com/kguard/kguard/internal/rules"

// Rules returns the rbac family's rules: risky grants (grants.go) and
// escalation paths (paths.go).
func Rules() []*rules.Rule {
	return append(grantRules(), pathRules()...)
}
