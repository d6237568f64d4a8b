package detect

import (
	"testing"
)

func TestDefaultsLoad(t *testing.T) {
	rs, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rs.Rules()); n < 30 {
		t.Errorf("%d default rules, want at least 30", n)
	}
	for _, r := range rs.Rules() {
		if len(r.MITRE) == 0 || r.Desc == "" {
			t.Errorf("rule %s: needs desc and a MITRE tag", r.ID)
		}
	}
}
