package vulndb

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/osv-scalibr/semantic"
)

// Query is an installed package to look up.
type Query struct {
	// Ecosystem is the OSV ecosystem with release ("Debian:12", "Go").
	Ecosystem string
	Name      string
	Version   string
}

// Match is an advisory that affects a queried package.
type Match struct {
	Advisory *Advisory
	// Fixed is the first version that fixes it, "" when none is known
	// (the range is open or ends at last_affected).
	Fixed string
}

// Matcher matches packages against a DB, remembering the answer for each
// distinct package: images share most packages with their base images.
type Matcher struct {
	db *DB
	mu sync.Mutex
	// memo is keyed by ecosystem, name and version.
	memo map[Query]memoEntry
}

type memoEntry struct {
	matches []Match
	err     error
}

// NewMatcher returns a matcher over db.
func NewMatcher(db *DB) *Matcher {
	return &Matcher{db: db, memo: map[Query]memoEntry{}}
}

// Match returns the advisories affecting q, sorted by ID.
func (m *Matcher) Match(q Query) ([]Match, error) {
	m.mu.Lock()
	e, ok := m.memo[q]
	m.mu.Unlock()
	if ok {
		return e.matches, e.err
	}
	matches, err := m.match(q)
	m.mu.Lock()
	m.memo[q] = memoEntry{matches, err}
	m.mu.Unlock()
	return matches, err
}

func (m *Matcher) match(q Query) ([]Match, error) {
	advs, err := m.db.Lookup(q.Ecosystem, q.Name)
	if err != nil || len(advs) == 0 {
		return nil, err
	}
	var out []Match
	name := NormalizeName(q.Ecosystem, q.Name)
	for _, a := range advs {
		for i := range a.Affected {
			af := &a.Affected[i]
			if !EcosystemApplies(af.Ecosystem, q.Ecosystem) || NormalizeName(af.Ecosystem, af.Name) != name {
				continue
			}
			hit, fixed, err := Affects(af, q.Version)
			if err != nil {
				// An unparsable version cannot be judged; it is not a
				// pass either, but one bad record must not stop a scan.
				continue
			}
			if hit {
				out = append(out, Match{Advisory: a, Fixed: fixed})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b Match) int { return strings.Compare(a.Advisory.ID, b.Advisory.ID) })
	return out, nil
}

// EcosystemApplies reports whether an advisory's ecosystem covers a
// package's: the same ecosystem and release ("Debian:12" does not cover
// "Debian:11"), or an advisory without release covers every release.
func EcosystemApplies(advisory, pkg string) bool {
	if advisory == pkg {
		return true
	}
	return !strings.Contains(advisory, ":") && baseEcosystem(pkg) == advisory
}

// Affects reports whether version is affected by af, and the version that
// fixes it. Versions are ordered as af's ecosystem defines: Debian epochs,
// revisions and "~"; Alpine suffixes and -r revisions; RPM
// epoch:version-release; SemVer; PEP 440; Maven.
func Affects(af *Affected, version string) (bool, string, error) {
	if slices.Contains(af.Versions, version) {
		return true, fixedAfter(af, version), nil
	}
	for _, r := range af.Ranges {
		eco := af.Ecosystem
		if r.Type == "SEMVER" {
			eco = "npm" // plain SemVer ordering
		}
		v, err := parseVersion(strings.TrimPrefix(version, goPrefix(af.Ecosystem)), eco)
		if err != nil {
			return false, "", fmt.Errorf("version %q: %w", version, err)
		}
		hit, fixed, err := inRange(v, r, eco)
		if err != nil {
			return false, "", err
		}
		if hit {
			return true, fixed, nil
		}
	}
	return false, "", nil
}

// goPrefix: Go versions in images' build info may carry the "v" that OSV
// Go records leave out.
func goPrefix(ecosystem string) string {
	if ecosystem == "Go" {
		return "v"
	}
	return ""
}

func parseVersion(s, ecosystem string) (semantic.Version, error) {
	return semantic.Parse(s, ecosystem)
}

type event struct {
	kind string // introduced, fixed, last_affected, limit
	ver  string
	v    semantic.Version // nil for introduced "0"
}

// inRange evaluates one range as the OSV schema describes: events sorted
// by version, each introduced opening and each fixed or last_affected
// closing the affected interval.
func inRange(v semantic.Version, r Range, eco string) (bool, string, error) {
	evs := make([]event, 0, len(r.Events))
	for _, e := range r.Events {
		var ev event
		switch {
		case e.Introduced != "":
			ev = event{kind: "introduced", ver: e.Introduced}
		case e.Fixed != "":
			ev = event{kind: "fixed", ver: e.Fixed}
		case e.LastAffected != "":
			ev = event{kind: "last_affected", ver: e.LastAffected}
		case e.Limit != "":
			ev = event{kind: "limit", ver: e.Limit}
		default:
			continue
		}
		if !(ev.kind == "introduced" && ev.ver == "0") {
			pv, err := parseVersion(strings.TrimPrefix(ev.ver, goPrefix(eco)), eco)
			if err != nil {
				return false, "", fmt.Errorf("event %s %q: %w", ev.kind, ev.ver, err)
			}
			ev.v = pv
		}
		evs = append(evs, ev)
	}
	var sortErr error
	slices.SortStableFunc(evs, func(a, b event) int {
		switch {
		case a.v == nil && b.v == nil:
			return 0
		case a.v == nil:
			return -1
		case b.v == nil:
			return 1
		}
		c, err := a.v.Compare(b.v)
		if err != nil {
			sortErr = err
		}
		return c
	})
	if sortErr != nil {
		return false, "", sortErr
	}
	affected, fixed := false, ""
	for i, e := range evs {
		c := 1 // v compared with the event's version; "0" is below all
		if e.v != nil {
			cmp, err := v.Compare(e.v)
			if err != nil {
				return false, "", err
			}
			c = cmp
		}
		switch e.kind {
		case "introduced":
			if c >= 0 {
				affected, fixed = true, nextFixed(evs[i+1:])
			}
		case "fixed":
			if c >= 0 {
				affected, fixed = false, ""
			}
		case "last_affected":
			if c > 0 {
				affected, fixed = false, ""
			}
		case "limit":
			if c >= 0 {
				affected, fixed = false, ""
			}
		}
	}
	return affected, fixed, nil
}

func nextFixed(rest []event) string {
	for _, e := range rest {
		switch e.kind {
		case "fixed":
			return e.ver
		case "last_affected", "introduced", "limit":
			return ""
		}
	}
	return ""
}

// fixedAfter finds a fix for an explicitly listed version: the first
// fixed event above it in any range.
func fixedAfter(af *Affected, version string) string {
	for _, r := range af.Ranges {
		eco := af.Ecosystem
		if r.Type == "SEMVER" {
			eco = "npm"
		}
		v, err := parseVersion(version, eco)
		if err != nil {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed == "" {
				continue
			}
			if c, err := v.CompareStr(e.Fixed); err == nil && c < 0 {
				return e.Fixed
			}
		}
	}
	return ""
}
