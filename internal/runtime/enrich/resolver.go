package enrich

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Defaults for zero ResolverOptions fields.
const (
	// DefaultRescanInterval bounds how often misses may rescan. A new
	// container's first events can go unresolved for this long at worst,
	// in exchange for a walk of the hierarchy costing a few milliseconds
	// at most this often however many unknown IDs arrive.
	DefaultRescanInterval = 2 * time.Second
	// DefaultMaxCgroups bounds the cache. A node with its full 110 pods
	// has a few thousand cgroups; the bound is for hosts where something
	// creates cgroups without limit.
	DefaultMaxCgroups = 16384
)

// ResolverOptions configure a CgroupResolver.
type ResolverOptions struct {
	// Root is the cgroup2 mount point to walk; empty finds it with
	// FindCgroup2Mount.
	Root string
	// RescanInterval is the least time between two rescans caused by
	// misses (DefaultRescanInterval when zero).
	RescanInterval time.Duration
	// MaxCgroups bounds the cache (DefaultMaxCgroups when zero). When a
	// hierarchy has more, containers' cgroups are kept first; a walk stops
	// after four times this many directories.
	MaxCgroups int

	now func() time.Time // the clock, replaced in tests
}

// Cgroup is one cgroup the resolver knows.
type Cgroup struct {
	// ID is the cgroup ID, the inode number of its directory.
	ID uint64
	// Path is the cgroup's path from the hierarchy root, as in
	// /proc/<pid>/cgroup: "/" for the root, else "/a/b".
	Path string
	// Container is what Path says about the container, when InContainer.
	Container   ContainerRef
	InContainer bool
}

// ResolverStats are a resolver's counters since it was made.
type ResolverStats struct {
	// Cgroups is how many cgroups the cache holds.
	Cgroups int
	// Scans counts walks of the hierarchy (the first one included).
	Scans int
	// Misses counts lookups of IDs not in the cache; RateLimited counts
	// those that did not rescan because one ran too recently.
	Misses, RateLimited int
	// Truncated is set when the last walk found more cgroups than the
	// cache keeps, or stopped at its bound.
	Truncated bool
	// LastScan is when the last walk started, LastScanTook how long it took.
	LastScan     time.Time
	LastScanTook time.Duration
}

// CgroupResolver maps cgroup IDs to cgroups by walking a cgroup2
// hierarchy. It is safe for concurrent use. A lookup that misses rescans
// the hierarchy unless a rescan ran less than RescanInterval ago; each
// rescan replaces the cache, which is how cgroups that were removed are
// forgotten. Cgroup IDs are never reused while the system runs, so an
// entry never points at the wrong cgroup, only at one that may be gone.
type CgroupResolver struct {
	root     string
	rootID   uint64
	interval time.Duration
	max      int
	now      func() time.Time

	mu    sync.RWMutex // guards byID and stats
	byID  map[uint64]Cgroup
	stats ResolverStats

	scanMu sync.Mutex // one walk at a time; held while deciding to walk
}

// NewCgroupResolver finds the hierarchy (unless opts.Root is set) and
// walks it once.
func NewCgroupResolver(opts ResolverOptions) (*CgroupResolver, error) {
	r := &CgroupResolver{root: opts.Root, interval: opts.RescanInterval, max: opts.MaxCgroups, now: opts.now}
	if r.interval <= 0 {
		r.interval = DefaultRescanInterval
	}
	if r.max <= 0 {
		r.max = DefaultMaxCgroups
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.root == "" {
		root, err := FindCgroup2Mount()
		if err != nil {
			return nil, err
		}
		r.root = root
	}
	info, err := os.Stat(r.root)
	if err != nil {
		return nil, fmt.Errorf("cgroup root: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("cgroup root %s: not a directory", r.root)
	}
	var ok bool
	if r.rootID, ok = inode(info); !ok {
		return nil, fmt.Errorf("cgroup root %s: no inode numbers on this system", r.root)
	}
	r.scanMu.Lock()
	r.rescanLocked()
	r.scanMu.Unlock()
	return r, nil
}

// Root is the directory the resolver walks.
func (r *CgroupResolver) Root() string { return r.root }

// AtHierarchyRoot reports whether Root is the root of the cgroup2
// hierarchy. When it is not (a container's own cgroup namespace, without
// the host's hierarchy mounted), the cgroups of other containers cannot be
// found and their events resolve to nothing: worth a warning at start.
func (r *CgroupResolver) AtHierarchyRoot() bool { return r.rootID == rootCgroupID }

// Lookup returns the cgroup with the given ID. On a miss it rescans, at
// most once per RescanInterval; lookups that miss while a rescan runs wait
// for it and see its result.
func (r *CgroupResolver) Lookup(id uint64) (Cgroup, bool) {
	if c, ok := r.get(id); ok {
		return c, true
	}
	r.scanMu.Lock()
	defer r.scanMu.Unlock()
	// A rescan may have finished while this lookup waited for the lock.
	if c, ok := r.get(id); ok {
		return c, true
	}
	r.mu.Lock()
	r.stats.Misses++
	limited := r.now().Sub(r.stats.LastScan) < r.interval
	if limited {
		r.stats.RateLimited++
	}
	r.mu.Unlock()
	if limited {
		return Cgroup{}, false
	}
	r.rescanLocked()
	return r.get(id)
}

// Rescan walks the hierarchy now, whatever the rate limit; use it to
// refresh on a timer or when told that cgroups changed.
func (r *CgroupResolver) Rescan() {
	r.scanMu.Lock()
	defer r.scanMu.Unlock()
	r.rescanLocked()
}

// Stats returns the resolver's counters.
func (r *CgroupResolver) Stats() ResolverStats {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s := r.stats
	s.Cgroups = len(r.byID)
	return s
}

func (r *CgroupResolver) get(id uint64) (Cgroup, bool) {
	r.mu.RLock()
	c, ok := r.byID[id]
	r.mu.RUnlock()
	return c, ok
}

// rescanLocked walks the hierarchy and replaces the cache; scanMu is held.
func (r *CgroupResolver) rescanLocked() {
	start := r.now()
	byID, truncated := r.walk()
	took := r.now().Sub(start)
	r.mu.Lock()
	r.byID = byID
	r.stats.Scans++
	r.stats.Truncated = truncated
	r.stats.LastScan, r.stats.LastScanTook = start, took
	r.mu.Unlock()
}

// walk reads every cgroup below the root. Containers' cgroups go into the
// result first, so that a hierarchy larger than the bound loses host
// cgroups (which resolve to "the host" anyway) before containers'.
func (r *CgroupResolver) walk() (map[uint64]Cgroup, bool) {
	var containers, others []Cgroup
	if info, err := os.Stat(r.root); err == nil {
		if id, ok := inode(info); ok {
			others = append(others, Cgroup{ID: id, Path: "/"})
		}
	}
	budget := 4 * r.max
	truncated := false
	var visit func(dir, rel string)
	visit = func(dir, rel string) {
		// A cgroup removed during the walk fails to read: skip it.
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !e.IsDir() { // control files, and symlinks if any
				continue
			}
			if budget == 0 {
				truncated = true
				return
			}
			budget--
			info, err := e.Info()
			if err != nil {
				continue
			}
			id, ok := inode(info)
			if !ok {
				continue
			}
			c := Cgroup{ID: id, Path: rel + "/" + e.Name()}
			c.Container, c.InContainer = ParseCgroupPath(c.Path)
			if c.InContainer {
				containers = append(containers, c)
			} else {
				others = append(others, c)
			}
			visit(filepath.Join(dir, e.Name()), c.Path)
		}
	}
	visit(r.root, "")
	byID := make(map[uint64]Cgroup, min(len(containers)+len(others), r.max))
	for _, list := range [][]Cgroup{containers, others} {
		for _, c := range list {
			if len(byID) == r.max {
				return byID, true
			}
			byID[c.ID] = c
		}
	}
	return byID, truncated
}
