package report

import (
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/scan"
)

// Gate decides which findings fail a run: --fail-on and --fail-on-new. The
// exit status and every format that marks failures (JUnit) ask the same
// Gate, so a CI report never shows a failure the build did not fail on, or
// the other way round. The zero value fails on every finding.
type Gate struct {
	// Min is the lowest severity that fails; the zero value (info) fails
	// on every finding.
	Min finding.Severity
	// None fails on nothing (--fail-on none).
	None bool
	// NewOnly fails only on findings the baseline does not have
	// (--fail-on-new); without a baseline it changes nothing.
	NewOnly bool
}

// Fails reports whether f, a finding that counts (not suppressed), fails
// the run. b is the baseline, nil when there is none.
func (g Gate) Fails(f *finding.Finding, b *Baseline) bool {
	if g.None || f.Severity < g.Min || f.Suppressed != nil {
		return false
	}
	return !g.NewOnly || b == nil || b.IsNew(f)
}

// AnyFails reports whether some finding of res fails the gate.
func (g Gate) AnyFails(res *scan.Result, b *Baseline) bool {
	for i := range res.Findings {
		if g.Fails(&res.Findings[i], b) {
			return true
		}
	}
	return false
}
