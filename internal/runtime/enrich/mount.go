package enrich

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// rootCgroupID is the ID (directory inode) of the root of a cgroup2
// hierarchy: kernfs numbers its root node first.
const rootCgroupID = 1

// ErrNoCgroup2 means no cgroup2 file system is mounted where the process
// can see it.
var ErrNoCgroup2 = errors.New("no cgroup2 mount in /proc/self/mountinfo")

// FindCgroup2Mount returns the mount point of the cgroup v2 hierarchy, read
// from /proc/self/mountinfo. It is /sys/fs/cgroup on most nodes and
// /sys/fs/cgroup/unified on hybrid (v1 and v2) ones; in a container that
// mounts the host's hierarchy it is wherever that mount is.
//
// When several cgroup2 mounts are visible (a container's own namespaced
// one and a hostPath mount of the host's), the one whose directory is the
// hierarchy's root is chosen, since only there can every cgroup ID be
// found; otherwise the first.
func FindCgroup2Mount() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	defer f.Close()
	points, err := cgroup2MountPoints(f)
	if err != nil {
		return "", fmt.Errorf("find cgroup2 mount: %w", err)
	}
	return pickCgroup2Mount(points, func(p string) (uint64, bool) {
		info, err := os.Stat(p)
		if err != nil {
			return 0, false
		}
		return inode(info)
	})
}

// pickCgroup2Mount chooses among mount points: the first whose inode is
// the hierarchy root's, else the first that can be read.
func pickCgroup2Mount(points []string, ino func(string) (uint64, bool)) (string, error) {
	first := ""
	for _, p := range points {
		n, ok := ino(p)
		if !ok {
			continue
		}
		if n == rootCgroupID {
			return p, nil
		}
		if first == "" {
			first = p
		}
	}
	if first == "" {
		return "", ErrNoCgroup2
	}
	return first, nil
}

// cgroup2MountPoints lists the mount points of cgroup2 file systems in a
// mountinfo file (proc(5)): "id parent major:minor root mountpoint options
// [optional fields...] - fstype source superoptions".
func cgroup2MountPoints(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if sep < 0 || sep+1 >= len(fields) || fields[sep+1] != "cgroup2" {
			continue
		}
		out = append(out, unescapeMountinfo(fields[4]))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// unescapeMountinfo undoes the octal escapes (\040 for a space, \011,
// \012, \134) the kernel writes in mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
