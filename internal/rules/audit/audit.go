// Package audit holds the audit rule family: what an audit policy records.
package audit

import "github.com/kguard/kguard/internal/rules"

// Rules returns the audit family's rules.
func Rules() []*rules.Rule { return nil }
