package vulnscan

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/inventory"
	"github.com/kguard/kguard/internal/vulndb"
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

	// Inventory is the package list (not written in reports).
	Inventory *inventory.Inventory `json:"-"`
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

func (ig *Ignore) covers(v *Vulnerability, image string, now time.Time) bool {
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

// Options configure a scan.
type Options struct {
	Access    access.Options
	Cache     inventory.Cache
	Inventory inventory.Options
	// IgnoreUnfixed drops vulnerabilities without a fixed version.
	IgnoreUnfixed bool
	Ignores       []Ignore
	// Now judges ignore expiry (default time.Now()).
	Now time.Time
	// Workers bounds how many images are read at once (default
	// GOMAXPROCS).
	Workers int
}

// Scan scans each distinct reference once, concurrently, and returns the
// results in the order of the first occurrence of each reference. An
// image that cannot be read has Error set; the others are still scanned.
func Scan(ctx context.Context, refs []string, m *vulndb.Matcher, o Options) []*Image {
	var distinct []string
	seen := map[string]bool{}
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			distinct = append(distinct, r)
		}
	}
	out := make([]*Image, len(distinct))
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(distinct)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = scanOne(ctx, distinct[i], m, o)
			}
		}()
	}
	for i := range distinct {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

func scanOne(ctx context.Context, ref string, m *vulndb.Matcher, o Options) *Image {
	inv, cached, err := inventory.Load(ctx, ref, o.Access, o.Cache, o.Inventory)
	if err != nil && inv == nil {
		return &Image{Ref: ref, Error: err.Error()}
	}
	img := Match(inv, m, o)
	img.Cached = cached
	if err != nil {
		// Only the cache write failed: the scan itself is complete.
		img.Problems = append(img.Problems, err.Error())
	}
	return img
}

// Match matches an inventory against the database.
func Match(inv *inventory.Inventory, m *vulndb.Matcher, o Options) *Image {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	img := &Image{
		Ref: inv.Image, Digest: inv.Digest, ConfigDigest: inv.ConfigDigest, Platform: inv.Platform,
		Packages: len(inv.Packages), Problems: inv.Problems, Inventory: inv,
	}
	for _, p := range inv.Packages {
		q := QueryFor(p)
		matches, err := m.Match(q)
		if err != nil {
			img.Problems = append(img.Problems, fmt.Sprintf("image %s: package %s: %v", inv.Image, p.Name, err))
			continue
		}
		for _, mt := range matches {
			if o.IgnoreUnfixed && mt.Fixed == "" {
				continue
			}
			a := mt.Advisory
			v := Vulnerability{
				ID: a.ID, Aliases: a.Aliases, Summary: a.Summary, Severity: a.Severity, Score: a.Score,
				Package: p.Name, Ecosystem: p.Ecosystem, Installed: p.Version, Fixed: mt.Fixed,
				Path: p.Path, Layer: p.Layer,
			}
			if v.Severity == "" {
				v.Severity = "UNKNOWN"
			}
			for i := range o.Ignores {
				if o.Ignores[i].covers(&v, inv.Image, now) {
					ig := o.Ignores[i]
					v.Ignored = &ig
					break
				}
			}
			if v.Ignored != nil {
				img.Ignored = append(img.Ignored, v)
			} else {
				img.Vulnerabilities = append(img.Vulnerabilities, v)
			}
		}
	}
	SortVulnerabilities(img.Vulnerabilities)
	SortVulnerabilities(img.Ignored)
	return img
}

// QueryFor is the database query for a package: OS distributions publish
// advisories under the source package (Debian, Ubuntu, Alpine), with the
// source version for Debian and Ubuntu.
func QueryFor(p inventory.Package) vulndb.Query {
	q := vulndb.Query{Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version}
	switch base, _, _ := strings.Cut(p.Ecosystem, ":"); base {
	case "Debian", "Ubuntu":
		if p.SourceName != "" {
			q.Name = p.SourceName
		}
		if p.SourceVersion != "" {
			q.Version = p.SourceVersion
		}
	case "Alpine":
		if p.SourceName != "" {
			q.Name = p.SourceName
		}
	}
	return q
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
