package configaudit

import (
	"testing"
	"time"

	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/images"
	"github.com/kguard/kguard/internal/rules/rulestest"
)

// fixtureNow is the last day of one fixture exception and the day after
// another's.
var fixtureNow = time.Date(2026, 3, 1, 15, 0, 0, 0, time.UTC)

// TestRules runs each rule with the images rules beside it, so that the
// fixtures' exceptions have a rule that ran to match (and the rule-ID
// check has something to compare with).
func TestRules(t *testing.T) {
	withImages := func(r *rules.Rule) []*rules.Rule { return append([]*rules.Rule{r}, images.Rules()...) }
	for _, r := range Rules() {
		t.Run(r.ID, func(t *testing.T) {
			rulestest.RunWith(t, r, withImages(r), "testdata", &rules.Settings{Now: fixtureNow})
		})
	}
}
