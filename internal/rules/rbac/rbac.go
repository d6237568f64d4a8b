package rbac

import "github.com/kguard/kguard/internal/rules"

// Rules returns the rbac family's rules.
func Rules() []*rules.Rule { return nil }
