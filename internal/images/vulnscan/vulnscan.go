package vulnscan

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/imagevuln"
	"github.com/kguard/kguard/internal/images/inventory"
	"github.com/kguard/kguard/internal/vulndb"
)

// Aliases for the result types, which live in the leaf package imagevuln
// so that rules can read them without importing the extractors.
type (
	Vulnerability = imagevuln.Vulnerability
	Image         = imagevuln.Image
	Ignore        = imagevuln.Ignore
)

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
		Packages: len(inv.Packages), Problems: inv.Problems,
	}
	os, _, _ := strings.Cut(inv.Platform, "/")
	for _, p := range inv.Packages {
		q := QueryFor(p)
		q.OS = os
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
				if o.Ignores[i].Covers(&v, inv.Image, now) {
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
func SeverityRank(s string) int { return imagevuln.SeverityRank(s) }

// SortVulnerabilities orders by severity, score, then ID and package.
func SortVulnerabilities(vs []Vulnerability) { imagevuln.SortVulnerabilities(vs) }
