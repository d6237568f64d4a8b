package rbac

import (
	"testing"

	"github.com/kguard/kguard/internal/rules/rulestest"
)

func TestPathRules(t *testing.T) { rulestest.Run(t, pathRules(), "testdata", nil) }
