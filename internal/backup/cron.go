package backup

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParsePeriod derives, from a Velero schedule expression, the longest
// interval between two consecutive runs: the worst-case recovery point
// objective the schedule implies.
//
// It understands what Velero's cron library accepts in practice: the
// standard five fields (minute hour day-of-month month day-of-week) with
// "*", "?", numbers, month and weekday names, ranges "a-b", steps "*/n" and
// "a-b/n", and lists; the descriptors @yearly, @annually, @monthly,
// @weekly, @daily, @midnight and @hourly; "@every DURATION"; and a leading
// CRON_TZ= or TZ= zone, which is ignored. It is deliberately simple: the
// gaps are measured by walking eight years of calendar days in UTC, so
// daylight-saving shifts are not modelled, and six-field (seconds)
// expressions are rejected.
func ParsePeriod(expr string) (time.Duration, error) {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "CRON_TZ=") || strings.HasPrefix(expr, "TZ=") {
		_, rest, ok := strings.Cut(expr, " ")
		if !ok {
			return 0, fmt.Errorf("schedule %q: nothing after the time zone", expr)
		}
		expr = strings.TrimSpace(rest)
	}
	if expr == "" {
		return 0, fmt.Errorf("empty schedule")
	}
	if strings.HasPrefix(expr, "@") {
		if rest, ok := strings.CutPrefix(expr, "@every "); ok {
			d, err := time.ParseDuration(strings.TrimSpace(rest))
			if err != nil || d <= 0 {
				return 0, fmt.Errorf("schedule %q: bad @every duration", expr)
			}
			return d, nil
		}
		switch expr {
		case "@yearly", "@annually":
			expr = "0 0 1 1 *"
		case "@monthly":
			expr = "0 0 1 * *"
		case "@weekly":
			expr = "0 0 * * 0"
		case "@daily", "@midnight":
			expr = "0 0 * * *"
		case "@hourly":
			expr = "0 * * * *"
		default:
			return 0, fmt.Errorf("schedule %q: unknown descriptor", expr)
		}
	}
	fields := strings.Fields(expr)
	if len(fields) != 5 {
		return 0, fmt.Errorf("schedule %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", expr, len(fields))
	}
	minutes, _, err := parseField(fields[0], 0, 59, nil)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: minute: %w", expr, err)
	}
	hours, _, err := parseField(fields[1], 0, 23, nil)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: hour: %w", expr, err)
	}
	doms, domStar, err := parseField(fields[2], 1, 31, nil)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: day of month: %w", expr, err)
	}
	months, _, err := parseField(fields[3], 1, 12, monthNames)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: month: %w", expr, err)
	}
	dows, dowStar, err := parseField(fields[4], 0, 7, dayNames)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: day of week: %w", expr, err)
	}
	if dows[7] {
		dows[0] = true
	}

	// Times of day, in minutes, in order.
	var times []int
	for h := 0; h < 24; h++ {
		for m := 0; m < 60; m++ {
			if hours[h] && minutes[m] {
				times = append(times, h*60+m)
			}
		}
	}
	dayMatches := func(d time.Time) bool {
		if !months[int(d.Month())] {
			return false
		}
		dom, dow := doms[d.Day()], dows[int(d.Weekday())]
		switch {
		case domStar || dowStar:
			// Standard cron: when either field is unrestricted, both must
			// match (the unrestricted one always does).
			return dom && dow
		default:
			return dom || dow
		}
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const days = 8*365 + 2
	var prev time.Time
	var longest time.Duration
	runs := 0
	for i := 0; i < days; i++ {
		d := start.AddDate(0, 0, i)
		if !dayMatches(d) {
			continue
		}
		for _, t := range times {
			at := d.Add(time.Duration(t) * time.Minute)
			if runs > 0 {
				if gap := at.Sub(prev); gap > longest {
					longest = gap
				}
			}
			prev = at
			runs++
		}
	}
	if runs < 2 {
		return 0, fmt.Errorf("schedule %q: runs less than twice in eight years", expr)
	}
	return longest, nil
}

var monthNames = map[string]int{
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}

var dayNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

// parseField expands one cron field into the set of values it allows,
// indexed by value. star reports a field that starts with "*" or "?",
// which matters for the day-of-month/day-of-week rule.
func parseField(f string, lo, hi int, names map[string]int) (set []bool, star bool, err error) {
	set = make([]bool, hi+1)
	star = strings.HasPrefix(f, "*") || strings.HasPrefix(f, "?")
	for _, part := range strings.Split(f, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			step, err = strconv.Atoi(stepStr)
			if err != nil || step <= 0 {
				return nil, false, fmt.Errorf("bad step %q", stepStr)
			}
		}
		var from, to int
		switch {
		case rng == "*" || rng == "?":
			from, to = lo, hi
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			if from, err = value(a, names); err != nil {
				return nil, false, err
			}
			if to, err = value(b, names); err != nil {
				return nil, false, err
			}
		default:
			if from, err = value(rng, names); err != nil {
				return nil, false, err
			}
			to = from
			if hasStep {
				to = hi
			}
		}
		if from < lo || to > hi || from > to {
			return nil, false, fmt.Errorf("%q out of range %d-%d", part, lo, hi)
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, star, nil
}

func value(s string, names map[string]int) (int, error) {
	if n, ok := names[strings.ToLower(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("bad value %q", s)
	}
	return n, nil
}

// Human prints a duration for people: "36h" becomes "1d12h", "30m" stays.
func Human(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	days := d / (24 * time.Hour)
	rest := d % (24 * time.Hour)
	h := rest / time.Hour
	m := (rest % time.Hour) / time.Minute
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if b.Len() == 0 {
		return d.String()
	}
	return b.String()
}
