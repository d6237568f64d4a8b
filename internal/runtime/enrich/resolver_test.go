package enrich

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// fakeClock is a settable clock for the rate limit.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ino returns a directory's inode number, which is what the resolver takes
// for a cgroup ID (true of cgroup2, and of any directory for these tests).
func ino(t *testing.T, dir string) uint64 {
	t.Helper()
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := inode(info)
	if !ok {
		t.Skip("no inode numbers on this system")
	}
	return n
}

func mkdirs(t *testing.T, root string, rel ...string) {
	t.Helper()
	for _, r := range rel {
		if err := os.MkdirAll(filepath.Join(root, r), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

const containerPath = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podUIDUnit + ".slice/cri-containerd-" + cid + ".scope"

// TestResolverOnDirectoryTree exercises lookups, the rate limit and the
// bound on an ordinary directory tree standing in for the hierarchy.
func TestResolverOnDirectoryTree(t *testing.T) {
	root := t.TempDir()
	mkdirs(t, root, containerPath, "/system.slice/kubelet.service")
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	r, err := NewCgroupResolver(ResolverOptions{Root: root, RescanInterval: time.Minute, now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Stats(); s.Scans != 1 || s.Cgroups != 7 {
		t.Fatalf("after the first walk: %+v, want 1 scan and 7 cgroups (root included)", s)
	}
	if r.AtHierarchyRoot() {
		t.Error("a temporary directory taken for a hierarchy's root")
	}

	c, ok := r.Lookup(ino(t, root+containerPath))
	if !ok || c.Path != containerPath || !c.InContainer || c.Container.ID != cid || c.Container.PodUID != podUID || c.Container.QOSClass != corev1.PodQOSBurstable {
		t.Fatalf("container cgroup: %+v, %v", c, ok)
	}
	if c, ok := r.Lookup(ino(t, root+"/system.slice/kubelet.service")); !ok || c.InContainer || c.Path != "/system.slice/kubelet.service" {
		t.Fatalf("host cgroup: %+v, %v", c, ok)
	}
	if c, ok := r.Lookup(ino(t, root)); !ok || c.Path != "/" {
		t.Fatalf("root: %+v, %v", c, ok)
	}

	// A cgroup made after the walk is missed until the interval has passed
	// since the last walk, however many lookups ask for it or for IDs that
	// do not exist.
	late := "/kubepods.slice/kubepods-pod" + podUIDUnit + ".slice/cri-containerd-" + cid2 + ".scope"
	mkdirs(t, root, late)
	lateID := ino(t, root+late)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := uint64(0); i < 500; i++ {
				r.Lookup(1<<40 + uint64(g)*1000 + i)
			}
		}()
	}
	wg.Wait()
	if _, ok := r.Lookup(lateID); ok {
		t.Fatal("found a cgroup made after the walk before the rescan interval passed")
	}
	if s := r.Stats(); s.Scans != 1 || s.Misses != 4001 || s.RateLimited != 4001 {
		t.Fatalf("a flood of unknown IDs must not rescan: %+v", s)
	}
	clock.advance(time.Minute)
	if c, ok := r.Lookup(lateID); !ok || c.Container.ID != cid2 || c.Container.QOSClass != corev1.PodQOSGuaranteed {
		t.Fatalf("after the interval: %+v, %v", c, ok)
	}
	if s := r.Stats(); s.Scans != 2 {
		t.Fatalf("want exactly one rescan, got %+v", s)
	}
	// The rescan just made counts against the next interval too.
	for i := uint64(0); i < 100; i++ {
		r.Lookup(1<<50 + i)
	}
	if s := r.Stats(); s.Scans != 2 {
		t.Fatalf("unknown IDs rescanned right after a rescan: %+v", s)
	}

	// Removed cgroups are forgotten by the next rescan.
	gone := ino(t, root+"/system.slice/kubelet.service")
	if err := os.Remove(filepath.Join(root, "system.slice/kubelet.service")); err != nil {
		t.Fatal(err)
	}
	r.Rescan()
	if c, ok := r.Lookup(gone); ok {
		t.Fatalf("removed cgroup still resolves: %+v", c)
	}
}

// TestResolverBound: with more cgroups than the cache keeps, containers'
// are kept before the host's, and the stats say the cache is partial.
func TestResolverBound(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 20; i++ {
		mkdirs(t, root, "/system.slice/svc"+strings.Repeat("x", i)+".service")
	}
	mkdirs(t, root, "/kubepods/burstable/pod"+podUID+"/"+cid)
	r, err := NewCgroupResolver(ResolverOptions{Root: root, MaxCgroups: 3})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Stats()
	if s.Cgroups != 3 || !s.Truncated {
		t.Fatalf("stats %+v, want 3 cgroups, truncated", s)
	}
	if c, ok := r.Lookup(ino(t, root+"/kubepods/burstable/pod"+podUID+"/"+cid)); !ok || !c.InContainer {
		t.Fatalf("the container's cgroup was dropped for the host's: %+v, %v", c, ok)
	}

	// The walk itself is bounded too (four times the cache).
	r2, err := NewCgroupResolver(ResolverOptions{Root: root, MaxCgroups: 1})
	if err != nil {
		t.Fatal(err)
	}
	if s := r2.Stats(); s.Cgroups != 1 || !s.Truncated {
		t.Fatalf("stats %+v", s)
	}
}

func TestResolverBadRoot(t *testing.T) {
	if _, err := NewCgroupResolver(ResolverOptions{Root: filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("no error for a missing root")
	}
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewCgroupResolver(ResolverOptions{Root: f}); err == nil {
		t.Error("no error for a file as root")
	}
}

func TestCgroup2MountPoints(t *testing.T) {
	// A hybrid host as seen from a container: the runtime's namespaced
	// mount, a hostPath mount of the host's tmpfs with its cgroup v1 and
	// unified submounts, and a mount point with a space.
	const mountinfo = `22 1 0:21 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
30 22 0:27 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate
31 22 0:28 / /host/sys/fs/cgroup ro,relatime shared:9 - tmpfs tmpfs ro,mode=755
32 31 0:29 / /host/sys/fs/cgroup/cpu ro,relatime shared:10 - cgroup cgroup rw,cpu
33 31 0:30 /../.. /host/sys/fs/cgroup/unified ro,relatime shared:11 master:3 - cgroup2 cgroup2 rw
34 22 0:31 / /mnt/with\040space rw - cgroup2 none rw
35 22 0:32 / /proc rw - proc proc rw
bad line
`
	got, err := cgroup2MountPoints(strings.NewReader(mountinfo))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/sys/fs/cgroup", "/host/sys/fs/cgroup/unified", "/mnt/with space"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("mount points %q, want %q", got, want)
	}

	// The hierarchy's root wins over the container's own namespaced mount.
	inodes := map[string]uint64{"/sys/fs/cgroup": 5123, "/host/sys/fs/cgroup/unified": 1}
	lookup := func(p string) (uint64, bool) { n, ok := inodes[p]; return n, ok }
	if p, err := pickCgroup2Mount(got, lookup); err != nil || p != "/host/sys/fs/cgroup/unified" {
		t.Errorf("picked %q, %v", p, err)
	}
	// Without it, the first readable one.
	delete(inodes, "/host/sys/fs/cgroup/unified")
	if p, err := pickCgroup2Mount(got, lookup); err != nil || p != "/sys/fs/cgroup" {
		t.Errorf("picked %q, %v", p, err)
	}
	if _, err := pickCgroup2Mount(nil, lookup); !errors.Is(err, ErrNoCgroup2) {
		t.Errorf("no mounts: %v", err)
	}
}

// realCgroup2 returns the host's cgroup2 mount, or skips.
func realCgroup2(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("making cgroups needs root")
	}
	root, err := FindCgroup2Mount()
	if err != nil {
		t.Skipf("no cgroup2 hierarchy: %v", err)
	}
	return root
}

// TestResolverOnRealCgroups makes a cgroup shaped like a kubelet
// container's in the real cgroup2 hierarchy, resolves it by its ID, and
// checks that it is forgotten once removed.
func TestResolverOnRealCgroups(t *testing.T) {
	root := realCgroup2(t)
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	// A top-level cgroup of our own, so the kubelet-shaped path below it is
	// also a nested layout, like a kind node's.
	top := "/kguard-enrich-test-" + hex.EncodeToString(b[:])
	rel := top + containerPath
	dirs := []string{}
	for p := rel; p != "/" && p != "."; p = filepath.Dir(p) {
		dirs = append(dirs, filepath.Join(root, p))
	}
	t.Cleanup(func() {
		for _, d := range dirs { // deepest first
			if err := os.Remove(d); err != nil && !os.IsNotExist(err) {
				t.Errorf("clean up %s: %v", d, err)
			}
		}
	})
	if err := os.MkdirAll(filepath.Join(root, rel), 0o755); err != nil {
		t.Skipf("cannot make cgroups under %s: %v", root, err)
	}
	id := ino(t, filepath.Join(root, rel))

	r, err := NewCgroupResolver(ResolverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Root() != root || !r.AtHierarchyRoot() {
		t.Errorf("resolver root %s (hierarchy root: %v), want %s", r.Root(), r.AtHierarchyRoot(), root)
	}
	c, ok := r.Lookup(id)
	if !ok {
		t.Fatalf("cgroup %d (%s) not resolved; stats %+v", id, rel, r.Stats())
	}
	want := ContainerRef{Runtime: RuntimeContainerd, ID: cid, PodUID: podUID, QOSClass: corev1.PodQOSBurstable}
	if c.ID != id || c.Path != rel || !c.InContainer || c.Container != want {
		t.Fatalf("resolved %+v, want path %s and %+v", c, rel, want)
	}
	// The whole path is known, parents included.
	if p, ok := r.Lookup(ino(t, filepath.Join(root, top))); !ok || p.Path != top || p.InContainer {
		t.Errorf("parent: %+v, %v", p, ok)
	}

	for _, d := range dirs {
		if err := os.Remove(d); err != nil {
			t.Fatal(err)
		}
	}
	r.Rescan()
	if c, ok := r.Lookup(id); ok {
		t.Fatalf("removed cgroup still resolves: %+v", c)
	}
}
