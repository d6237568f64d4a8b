// Package backup holds the backup rule family: backup and disaster-recovery
// readiness.
package backup

import "github.com/kguard/kguard/internal/rules"

// Rules returns the backup family's rules.
func Rules() []*rules.Rule { return nil }
