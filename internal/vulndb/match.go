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
	// OS is the operating system the package is built for ("linux"), when
	// known: Go advisories limited to other systems do not apply.
	OS string
}

// Match is an advisory that affects a queried package.
type Match struct {
	Advisory *Advisory
	// Fixed is the first version that fixes it, "" when none is known
	// (the range is open or ends at last_affected).
	Fixed string
}

// Matcher matches packages against a DB, remembering each package's
// advisories compiled for matching: images share most packages with their
// base images, at one version or another.
type Matcher struct {
	db *DB
	mu sync.Mutex
	// candidates holds, per package (index key), the affected entries
	// that name it, compiled once: many images ask about the same package
	// at different versions.
	candidates map[string]*candidateList
}

type candidateList struct {
	once  sync.Once
	cands []candidate
	err   error
}

type candidate struct {
	adv *Advisory
	ca  *compiledAffected
}

// NewMatcher returns a matcher over db.
func NewMatcher(db *DB) *Matcher {
	return &Matcher{db: db, candidates: map[string]*candidateList{}}
}

// Match returns the advisories affecting q, sorted by ID.
func (m *Matcher) Match(q Query) ([]Match, error) { return m.match(q) }

func (m *Matcher) match(q Query) ([]Match, error) {
	cands, err := m.candidatesFor(q.Ecosystem, q.Name)
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	var out []Match
	var parsed parsedVersions // the query's version, per ordering
	var last *Advisory
	for _, c := range cands {
		if c.adv == last || !EcosystemApplies(c.ca.af.Ecosystem, q.Ecosystem) {
			continue // one match per advisory
		}
		if q.OS != "" && len(c.ca.af.GOOS) > 0 && !slices.Contains(c.ca.af.GOOS, q.OS) {
			continue
		}
		hit, fixed, err := c.ca.affects(q.Version, &parsed)
		if err != nil {
			// An unparsable version cannot be judged; it is not a pass
			// either, but one bad record must not stop a scan.
			continue
		}
		if hit {
			out = append(out, Match{Advisory: c.adv, Fixed: fixed})
			last = c.adv
		}
	}
	slices.SortFunc(out, func(a, b Match) int { return strings.Compare(a.Advisory.ID, b.Advisory.ID) })
	return out, nil
}

// candidatesFor returns the compiled affected entries naming the package
// (in any release of the ecosystem), built on first use.
func (m *Matcher) candidatesFor(ecosystem, name string) ([]candidate, error) {
	key := indexKey(ecosystem, name)
	m.mu.Lock()
	cl, ok := m.candidates[key]
	if !ok {
		cl = &candidateList{}
		m.candidates[key] = cl
	}
	m.mu.Unlock()
	cl.once.Do(func() {
		advs, err := m.db.Lookup(ecosystem, name)
		if err != nil {
			cl.err = err
			return
		}
		norm := NormalizeName(ecosystem, name)
		for _, a := range advs {
			for i := range a.Affected {
				af := &a.Affected[i]
				if baseEcosystem(af.Ecosystem) == baseEcosystem(ecosystem) && NormalizeName(af.Ecosystem, af.Name) == norm {
					cl.cands = append(cl.cands, candidate{adv: a, ca: compileAffected(af)})
				}
			}
		}
	})
	return cl.cands, cl.err
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
	var parsed parsedVersions
	return compileAffected(af).affects(version, &parsed)
}

// parsedVersions remembers one version parsed in up to two orderings (an
// ecosystem's own and SemVer), without a map per query.
type parsedVersions struct {
	n    int
	ecos [2]string
	vs   [2]semantic.Version
}

func (p *parsedVersions) get(eco string) (semantic.Version, bool) {
	for i := 0; i < p.n; i++ {
		if p.ecos[i] == eco {
			return p.vs[i], true
		}
	}
	return nil, false
}

func (p *parsedVersions) put(eco string, v semantic.Version) {
	if p.n < len(p.ecos) {
		p.ecos[p.n], p.vs[p.n] = eco, v
		p.n++
	}
}

// compiledAffected is an affected entry ready to evaluate: each range's
// events parsed in the range's ordering and sorted.
type compiledAffected struct {
	af     *Affected
	ranges []compiledRange
}

type compiledRange struct {
	eco string // the ordering: the ecosystem, or "npm" for SEMVER
	evs []event
	err error
}

func compileAffected(af *Affected) *compiledAffected {
	c := &compiledAffected{af: af}
	for _, r := range af.Ranges {
		eco := af.Ecosystem
		if r.Type == "SEMVER" {
			eco = "npm" // plain SemVer ordering
		}
		evs, err := sortedEvents(r, eco)
		c.ranges = append(c.ranges, compiledRange{eco: eco, evs: evs, err: err})
	}
	return c
}

func (c *compiledAffected) affects(version string, parsed *parsedVersions) (bool, string, error) {
	if slices.Contains(c.af.Versions, version) {
		return true, fixedAfter(c.af, version), nil
	}
	for _, r := range c.ranges {
		if r.err != nil {
			return false, "", r.err
		}
		v, ok := parsed.get(r.eco)
		if !ok {
			var err error
			v, err = parseVersion(strings.TrimPrefix(version, goPrefix(c.af.Ecosystem)), r.eco)
			if err != nil {
				return false, "", fmt.Errorf("version %q: %w", version, err)
			}
			parsed.put(r.eco, v)
		}
		hit, fixed, err := evaluate(v, r.evs)
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

// sortedEvents parses a range's events and sorts them by version, as the
// OSV schema's evaluation requires ("introduced: 0" first).
func sortedEvents(r Range, eco string) ([]event, error) {
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
			pv, err := parseVersion(ev.ver, eco)
			if err != nil {
				return nil, fmt.Errorf("event %s %q: %w", ev.kind, ev.ver, err)
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
	return evs, sortErr
}

// evaluate walks the sorted events: each introduced at or below v opens
// the affected interval, each fixed or limit at or below v and each
// last_affected below v closes it.
func evaluate(v semantic.Version, evs []event) (bool, string, error) {
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
		case "fixed", "limit":
			if c >= 0 {
				affected, fixed = false, ""
			}
		case "last_affected":
			if c > 0 {
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
