package cmdutil

import (
	"fmt"
	"time"
)

// AsOf is the --as-of flag: a day (or an RFC 3339 time) that stands in
// for now in date-dependent checks (certificate expiry, end of life,
// backup age), so that results can be reproduced.
type AsOf struct{ T *time.Time }

func (a AsOf) String() string {
	if a.T == nil || a.T.IsZero() {
		return ""
	}
	return a.T.Format(time.DateOnly)
}

// Set parses YYYY-MM-DD (midnight UTC) or an RFC 3339 time.
func (a AsOf) Set(s string) error {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return fmt.Errorf("want YYYY-MM-DD or an RFC 3339 time, got %q", s)
		}
	}
	*a.T = t
	return nil
}

// Type names the flag's value in help.
func (AsOf) Type() string { return "date" }
