package controlplane

import (
	"strings"
	"time"

	"github.com/kguard/kguard/internal/k8sversions"
)

// Lifecycle is the support window of one Kubernetes minor release.
type Lifecycle struct {
	Release k8sversions.Release
	// Released is the date of the x.y.0 release.
	Released time.Time
	// EndOfLife is the last day the release receives patches.
	EndOfLife time.Time
	// Estimated is true when the dates are not the published ones but
	// derived from the support policy (see lifecycles).
	Estimated bool
}

func eolDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// lifecycles lists the Kubernetes minor releases kguard knows, oldest
// first. Dates for 1.25 to 1.34 are those of kubernetes.io/releases (end of
// life is the published "End of Life" date of the patch-release page). For
// newer releases the published dates were not known when this table was
// written: they follow the documented policy that a minor release is
// supported for about 14 months (12 months of support plus a two-month
// upgrade period), counted from an estimated release date, and are marked
// Estimated. Update the table as releases are published.
var lifecycles = []Lifecycle{
	{Release: k8sversions.Release{Major: 1, Minor: 25}, Released: eolDay("2022-08-23"), EndOfLife: eolDay("2023-10-28")},
	{Release: k8sversions.Release{Major: 1, Minor: 26}, Released: eolDay("2022-12-09"), EndOfLife: eolDay("2024-02-28")},
	{Release: k8sversions.Release{Major: 1, Minor: 27}, Released: eolDay("2023-04-11"), EndOfLife: eolDay("2024-06-28")},
	{Release: k8sversions.Release{Major: 1, Minor: 28}, Released: eolDay("2023-08-15"), EndOfLife: eolDay("2024-10-28")},
	{Release: k8sversions.Release{Major: 1, Minor: 29}, Released: eolDay("2023-12-13"), EndOfLife: eolDay("2025-02-28")},
	{Release: k8sversions.Release{Major: 1, Minor: 30}, Released: eolDay("2024-04-17"), EndOfLife: eolDay("2025-06-28")},
	{Release: k8sversions.Release{Major: 1, Minor: 31}, Released: eolDay("2024-08-13"), EndOfLife: eolDay("2025-10-28")},
	{Release: k8sversions.Release{Major: 1, Minor: 32}, Released: eolDay("2024-12-11"), EndOfLife: eolDay("2026-02-28")},
	{Release: k8sversions.Release{Major: 1, Minor: 33}, Released: eolDay("2025-04-23"), EndOfLife: eolDay("2026-06-28")},
	{Release: k8sversions.Release{Major: 1, Minor: 34}, Released: eolDay("2025-08-27"), EndOfLife: eolDay("2026-10-27")},
	{Release: k8sversions.Release{Major: 1, Minor: 35}, Released: eolDay("2025-12-17"), EndOfLife: eolDay("2027-02-28"), Estimated: true},
	{Release: k8sversions.Release{Major: 1, Minor: 36}, Released: eolDay("2026-04-22"), EndOfLife: eolDay("2027-06-28"), Estimated: true},
	{Release: k8sversions.Release{Major: 1, Minor: 37}, Released: eolDay("2026-08-26"), EndOfLife: eolDay("2027-10-28"), Estimated: true},
}

// LifecycleOf returns the support window of a release, or false when the
// table does not list it (releases older than 1.25 or newer than the table).
func LifecycleOf(r k8sversions.Release) (Lifecycle, bool) {
	for _, l := range lifecycles {
		if l.Release == r {
			return l, true
		}
	}
	return Lifecycle{}, false
}

// Supported reports whether release still receives patches on asOf: until
// the end of its end-of-life day (UTC). Releases older than the table are
// long out of support; releases newer than it are taken as supported.
func Supported(release k8sversions.Release, asOf time.Time) bool {
	if l, ok := LifecycleOf(release); ok {
		return asOf.Before(l.EndOfLife.AddDate(0, 0, 1))
	}
	if len(lifecycles) == 0 {
		return true
	}
	return release.Compare(lifecycles[0].Release) > 0
}

// containerdEndOfLife is the end of support of containerd minor releases,
// from containerd's RELEASES.md ("September 2026" for the 1.7 LTS is given
// as a month; its last day is used).
var containerdEndOfLife = map[string]time.Time{
	"1.3": eolDay("2021-03-04"),
	"1.4": eolDay("2022-03-03"),
	"1.5": eolDay("2023-02-28"),
	"1.6": eolDay("2025-08-23"),
	"1.7": eolDay("2026-09-30"),
	"2.0": eolDay("2025-11-07"),
	"2.1": eolDay("2026-05-05"),
	"2.2": eolDay("2026-11-06"),
	"2.3": eolDay("2028-04-27"),
}

// ContainerdEndOfLife returns the end of support of a containerd version
// such as "1.7.24" or "v2.1.0", if kguard knows its minor release.
func ContainerdEndOfLife(version string) (time.Time, bool) {
	v := strings.TrimPrefix(version, "v")
	major, rest, _ := strings.Cut(v, ".")
	minor, _, _ := strings.Cut(rest, ".")
	t, ok := containerdEndOfLife[major+"."+minor]
	return t, ok
}
