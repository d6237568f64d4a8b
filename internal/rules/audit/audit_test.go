package audit

import (
	"testing"

	"github.com/kguard/kguard/internal/rules/rulestest"
)

func TestRules(t *testing.T) {
	rulestest.Run(t, Rules(), "testdata", nil)
}
