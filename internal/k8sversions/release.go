package k8sversions

import (
	"fmt"
	"strconv"
	"strings"
)

// Release is a Kubernetes minor release such as 1.25. Patch levels do not
// matter for API availability, so they are not kept. The zero value means
// "never" in the API table (not deprecated, no removal planned).
type Release struct {
	Major, Minor int
}

// Latest is the newest Kubernetes release kguard knows. It is the default
// target of the patching rules.
var Latest = Release{1, 37}

// IsZero reports whether r is the zero Release.
func (r Release) IsZero() bool { return r.Major == 0 && r.Minor == 0 }

// String renders the release as "1.25".
func (r Release) String() string {
	return strconv.Itoa(r.Major) + "." + strconv.Itoa(r.Minor)
}

// Compare returns -1, 0 or +1 as r is older than, equal to or newer than o.
func (r Release) Compare(o Release) int {
	switch {
	case r.Major != o.Major:
		if r.Major < o.Major {
			return -1
		}
		return 1
	case r.Minor < o.Minor:
		return -1
	case r.Minor > o.Minor:
		return 1
	}
	return 0
}

// AtLeast reports whether r is o or newer.
func (r Release) AtLeast(o Release) bool { return r.Compare(o) >= 0 }

// ParseRelease reads "1.25", "v1.25" or "1.25.3" (a patch level and a
// pre-release suffix such as "-rc.1" are accepted and ignored). It does not
// allocate on success, so rules may call it per object.
func ParseRelease(s string) (Release, error) {
	in := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	majS, rest, ok := strings.Cut(s, ".")
	if !ok {
		return Release{}, fmt.Errorf("invalid Kubernetes release %q: want MAJOR.MINOR such as 1.29", in)
	}
	minS, _, _ := strings.Cut(rest, ".")
	minS, _, _ = strings.Cut(minS, "-")
	maj, err1 := strconv.Atoi(majS)
	mnr, err2 := strconv.Atoi(minS)
	if err1 != nil || err2 != nil || maj != 1 || mnr < 0 || mnr > 999 {
		return Release{}, fmt.Errorf("invalid Kubernetes release %q: want MAJOR.MINOR such as 1.29", in)
	}
	return Release{maj, mnr}, nil
}

// Target resolves a --target-version value: "" means Latest.
func Target(s string) (Release, error) {
	if s == "" {
		return Latest, nil
	}
	return ParseRelease(s)
}
