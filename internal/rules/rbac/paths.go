package rbac

import "github.com/kguard/kguard/internal/rules"

// pathRules report escalation paths. Stub: to be written.
func pathRules() []*rules.Rule { return nil }
