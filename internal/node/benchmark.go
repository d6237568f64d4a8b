package node

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// sectionTitles names the CIS Kubernetes Benchmark sections the checks
// belong to.
var sectionTitles = map[string]string{
	"1.1": "Control Plane Node Configuration Files",
	"1.2": "API Server",
	"4.1": "Worker Node Configuration Files",
	"4.2": "Kubelet",
}

// sectionOf returns the two-level section of a check ("1.1" of "1.1.12").
func sectionOf(id string) string {
	parts := strings.SplitN(id, ".", 3)
	if len(parts) < 2 {
		return id
	}
	return parts[0] + "." + parts[1]
}

// compareSection orders section numbers numerically ("1.1.2" < "1.1.10").
func compareSection(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errx := strconv.Atoi(as[i])
		y, erry := strconv.Atoi(bs[i])
		if errx != nil || erry != nil {
			if c := strings.Compare(as[i], bs[i]); c != 0 {
				return c
			}
			continue
		}
		if x != y {
			return cmp.Compare(x, y)
		}
	}
	return cmp.Compare(len(as), len(bs))
}

// SortedChecks returns the checks ordered by section, then subject.
func (r *Report) SortedChecks() []Check {
	cs := slices.Clone(r.Checks)
	slices.SortStableFunc(cs, func(a, b Check) int {
		return cmp.Or(compareSection(a.Section, b.Section), strings.Compare(a.Subject, b.Subject))
	})
	return cs
}

// WriteBenchmark prints the CIS checks: each with PASS, FAIL or MANUAL,
// then the totals per section, then what could not be checked.
func WriteBenchmark(w io.Writer, r *Report) error {
	var b bytes.Buffer
	checks := r.SortedChecks()
	fmt.Fprintf(&b, "CIS Kubernetes Benchmark checks of the node at %s\n", r.Root)
	type totals struct{ pass, fail, manual int }
	var order []string
	sum := map[string]*totals{}
	cur := ""
	for _, c := range checks {
		sec := sectionOf(c.Section)
		if sec != cur {
			cur = sec
			fmt.Fprintf(&b, "\n[%s] %s\n", sec, sectionTitles[sec])
		}
		if sum[sec] == nil {
			sum[sec] = &totals{}
			order = append(order, sec)
		}
		switch c.Status {
		case Pass:
			sum[sec].pass++
		case Fail:
			sum[sec].fail++
		case Manual:
			sum[sec].manual++
		}
		line := fmt.Sprintf("[%-6s] %-7s %s: %s", c.Status, c.Section, c.Title, c.Subject)
		if c.Detail != "" {
			line += " (" + c.Detail + ")"
		}
		b.WriteString(line + "\n")
	}
	if len(checks) == 0 {
		b.WriteString("\nno CIS check applied: no Kubernetes component or file was found\n")
	}
	b.WriteString("\n== Summary per section ==\n")
	var all totals
	for _, sec := range order {
		t := sum[sec]
		all.pass, all.fail, all.manual = all.pass+t.pass, all.fail+t.fail, all.manual+t.manual
		fmt.Fprintf(&b, "%s %s: %d pass, %d fail, %d manual\n", sec, sectionTitles[sec], t.pass, t.fail, t.manual)
	}
	fmt.Fprintf(&b, "total: %d pass, %d fail, %d manual\n", all.pass, all.fail, all.manual)
	if len(r.Errors) > 0 {
		fmt.Fprintf(&b, "\nNOT CHECKED (%d): kguard could not check these; no FAIL here does not mean they pass\n", len(r.Errors))
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "  ! %s\n", e)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
