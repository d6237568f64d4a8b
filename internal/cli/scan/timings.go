package scan

import (
	"strings"
	"time"
)

// timings records how long each phase of a scan took, for --timings.
type timings struct {
	last   time.Time
	phases []string
}

func newTimings() *timings { return &timings{last: time.Now()} }

// mark ends the phase called name.
func (t *timings) mark(name string) {
	now := time.Now()
	t.phases = append(t.phases, name+" "+now.Sub(t.last).Round(time.Millisecond).String())
	t.last = now
}

func (t *timings) String() string { return strings.Join(t.phases, ", ") }
