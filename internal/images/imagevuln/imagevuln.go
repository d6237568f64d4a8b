package imagevuln

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/inventory"
)

// Vulnerability is one advisory affecting one installed package.
type Vulnerability struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	Summary string   `json:"summary,omitempty"`
	// Severity is CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN.
	Severity  string  `json:"severity"`
	Score     float64 `json:"score,omitempty"`
	Package   string  `json:"package"`
	Ecosystem string  `json:"ecosystem"`
	Installed string  `json:"installed"`
	// Fixed is the first fixed version; "" when there is no fix yet.
	Fixed string `json:"fixed,omitempty"`
	// Path is the file the package was found in; Layer the layer that
	// added it.
	Path  string `json:"path,omitempty"`
	Layer string `json:"layer,omitempty"`
	// Ignored is set when an ignore in the config covers it.
	Ignored *Ignore `json:"ignored,omitempty"`
}

// Image is the result for one image.
type Image struct {
	Ref          string `json:"image"`
	Digest       string `json:"digest,omitempty"`
	ConfigDigest string `json:"configDigest,omitempty"`
	Platform     string `json:"platform,omitempty"`
	// Cached is true when the inventory came from the cache.
	Cached   bool `json:"cached"`
	Packages int  `json:"packages"`
	// Vulnerabilities that count, most severe first; Ignored ones are
	// kept apart, never lost.
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
	Ignored         []Vulnerability `json:"ignored,omitempty"`
	// Error is set when the image could not be read at all; Problems when
	// parts of it could not (a corrupt package database).
	Error    string   `json:"error,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// Failed reports whether the image was not (completely) scanned.
func (i *Image) Failed() bool { return i.Error != "" || len(i.Problems) > 0 }

// Ignore silences a vulnerability, VEX-style: the advisory (ID or alias)
// does not affect the listed packages and images, for a reason, until an
// expiry.
type Ignore struct {
	// ID is an advisory ID or alias ("CVE-2024-1234", "GHSA-...").
	ID string `json:"id"`
	// Packages and Images (globs) narrow it; empty means all.
	Packages []string `json:"packages,omitempty"`
	Images   []string `json:"images,omitempty"`
	// Status is the VEX status the user asserts (not_affected by
	// default).
	Status string `json:"status,omitempty"`
	Reason string `json:"reason"`
	// Expires is the last day (YYYY-MM-DD) the ignore applies.
	Expires time.Time `json:"expires,omitempty"`
}

// Covers reports whether the ignore applies to v in image at now.
func (ig *Ignore) Covers(v *Vulnerability, image string, now time.Time) bool {
	if !ig.Expires.IsZero() && now.After(ig.Expires.AddDate(0, 0, 1)) {
		return false
	}
	if ig.ID != v.ID && !slices.Contains(v.Aliases, ig.ID) {
		return false
	}
	return globs(ig.Packages, v.Package) && globs(ig.Images, image)
}

func globs(patterns []string, s string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok || p == s {
			return true
		}
	}
	return false
}

// SeverityRank orders severities, most severe highest.
func SeverityRank(s string) int {
	switch s {
	case "CRITICAL":
		return 4
	case "HIGH":
		return 3
	case "MEDIUM":
		return 2
	case "LOW":
		return 1
	}
	return 0
}

// SortVulnerabilities orders by severity, score, then ID and package.
func SortVulnerabilities(vs []Vulnerability) {
	slices.SortStableFunc(vs, func(a, b Vulnerability) int {
		if c := SeverityRank(b.Severity) - SeverityRank(a.Severity); c != 0 {
			return c
		}
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return strings.Compare(a.Package+a.Path, b.Package+b.Path)
	})
}

// Results are the image scan results of one kguard scan, by image
// reference exactly as the workloads write it.
type Results struct {
	// Images maps each scanned reference to its result.
	Images map[string]*Image
}

// Analysis holds the image scan results of the scanned inventory. Images
// are scanned before the rules run (`kguard scan --images`) and the
// results are handed to the scan (analysis.Value); without --images the
// analysis is empty and rules that require it report nothing.
var Analysis = &analysis.Analysis[*Results]{
	Name:  "images.vulnerabilities",
	Build: func(*inventory.Inventory) *Results { return &Results{} },
}
