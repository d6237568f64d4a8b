package imageconfig

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/kguard/kguard/internal/finding"
)

// Check IDs.
const (
	RunsAsRoot        = "image-runs-as-root"
	UserNotNumeric    = "image-user-not-numeric"
	EntrypointMissing = "image-entrypoint-missing"
	HasShell          = "image-has-shell"
	HasPackageManager = "image-has-package-manager"
)

// Problem is one way the image falls short.
type Problem struct {
	Check    string
	Severity finding.Severity
	Message  string
}

func (p Problem) String() string { return fmt.Sprintf("%s (%s): %s", p.Check, p.Severity, p.Message) }

// Shells are looked for by name in the directories a PATH lookup or
// `sh -c` would use.
var (
	binDirs = []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"}
	shells  = []string{"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"}
	// Package managers, and the databases they keep: a database alone
	// (distroless keeps one for scanners) is reported too, since the
	// packages it lists are there.
	packageManagers = []string{"apt", "apt-get", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm", "zypper", "pacman", "tdnf"}
	packageDBs      = []string{
		"/var/lib/dpkg/status", "/var/lib/dpkg/status.d", "/lib/apk/db/installed",
		"/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db", "/var/lib/rpm/rpmdb.sqlite",
		"/usr/lib/sysimage/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/Packages.db", "/var/lib/pacman/local",
	}
)

// Check reads img's config and filesystem and returns its problems, in
// a fixed order.
func Check(img v1.Image) ([]Problem, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("read image config: %w", err)
	}
	files, err := list(img)
	if err != nil {
		return nil, err
	}
	var ps []Problem
	ps = append(ps, checkUser(cf.Config.User)...)
	if p, ok := checkEntrypoint(cf.Config, files); !ok {
		ps = append(ps, p)
	}
	var found []string
	for _, d := range binDirs {
		for _, s := range shells {
			if _, ok := files[d+"/"+s]; ok {
				found = append(found, d+"/"+s)
			}
		}
	}
	if len(found) > 0 {
		ps = append(ps, Problem{HasShell, finding.SeverityLow, "a shell is present (" + strings.Join(found, ", ") + "): whoever runs code in the container can script with it"})
	}
	found = nil
	for _, d := range binDirs {
		for _, m := range packageManagers {
			if _, ok := files[d+"/"+m]; ok {
				found = append(found, d+"/"+m)
			}
		}
	}
	for _, db := range packageDBs {
		if _, ok := files[db]; ok {
			found = append(found, db)
		}
	}
	if len(found) > 0 {
		ps = append(ps, Problem{HasPackageManager, finding.SeverityLow, "a package manager or its database is present (" + strings.Join(found, ", ") + "): tools can be installed at run time, and the OS packages need patching"})
	}
	return ps, nil
}

// checkUser judges the config's User ("name", "uid", "uid:gid").
func checkUser(user string) []Problem {
	u, _, _ := strings.Cut(user, ":")
	switch {
	case u == "" || u == "root" || u == "0":
		return []Problem{{RunsAsRoot, finding.SeverityMedium, fmt.Sprintf("the image runs as root (user %q) unless every pod overrides it", user)}}
	case !isNumber(u):
		return []Problem{{UserNotNumeric, finding.SeverityLow, fmt.Sprintf("user %q is a name: the kubelet cannot tell that it is not root, so runAsNonRoot refuses the pod unless it sets runAsUser", user)}}
	}
	return nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

// checkEntrypoint: the program the config starts must be a file in the
// image (an absolute path; a bare name needs a PATH lookup, and the
// image must hold it in one of its bin directories).
func checkEntrypoint(c v1.Config, files map[string]*tar.Header) (Problem, bool) {
	argv := append(slices.Clone(c.Entrypoint), c.Cmd...)
	if len(argv) == 0 {
		return Problem{EntrypointMissing, finding.SeverityHigh, "the config names no entrypoint or command"}, false
	}
	prog := argv[0]
	candidates := []string{path.Clean(prog)}
	if !path.IsAbs(prog) {
		candidates = nil
		for _, d := range binDirs {
			candidates = append(candidates, path.Join(d, prog))
		}
	}
	for _, p := range candidates {
		if h, ok := resolve(files, p); ok && h.Typeflag == tar.TypeReg && h.Mode&0o111 != 0 {
			return Problem{}, true
		}
	}
	return Problem{EntrypointMissing, finding.SeverityHigh, fmt.Sprintf("the entrypoint %s is not an executable file in the image", prog)}, false
}

// resolve follows symbolic links (a bounded number of them) to a header.
func resolve(files map[string]*tar.Header, p string) (*tar.Header, bool) {
	for range 16 {
		h, ok := files[p]
		if !ok {
			return nil, false
		}
		if h.Typeflag != tar.TypeSymlink {
			return h, true
		}
		if path.IsAbs(h.Linkname) {
			p = path.Clean(h.Linkname)
		} else {
			p = path.Join(path.Dir(p), h.Linkname)
		}
	}
	return nil, false
}

// list returns the flattened filesystem's headers by absolute path.
func list(img v1.Image) (map[string]*tar.Header, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	files := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read image filesystem: %w", err)
		}
		files[path.Clean("/"+h.Name)] = h
	}
}
