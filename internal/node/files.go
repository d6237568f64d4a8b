package node

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/kguard/kguard/internal/controlplane"
)

// Target is one file to check.
type Target struct {
	// Path is the path on the host (not joined to the root).
	Path string
	Type controlplane.FileType
	// Roles say what the file is for (controlplane.Role*), which names its
	// CIS checks.
	Roles []string
	// NamedBy says where the path came from: flags ("kube-apiserver
	// --tls-private-key-file") or "well-known path".
	NamedBy []string
	// Optional targets (well-known paths) are skipped when missing; a file
	// named by a flag must exist.
	Optional bool
	// PID is the process whose flag names the file (0 for well-known
	// paths): a path that only exists in the process's own mount namespace
	// (a kube-proxy pod's ConfigMap) is read through /proc/<pid>/root.
	PID int
}

// wellKnownFiles are the kubeadm layout's fixed paths.
var wellKnownFiles = []Target{
	{Path: "/etc/kubernetes/admin.conf", Type: controlplane.FileKubeconfig, Roles: []string{controlplane.RoleAdminKubeconfig}},
	{Path: "/etc/kubernetes/super-admin.conf", Type: controlplane.FileKubeconfig, Roles: []string{controlplane.RoleAdminKubeconfig}},
	{Path: "/etc/kubernetes/scheduler.conf", Type: controlplane.FileKubeconfig, Roles: []string{controlplane.RoleSchedulerKubeconfig}},
	{Path: "/etc/kubernetes/controller-manager.conf", Type: controlplane.FileKubeconfig, Roles: []string{controlplane.RoleControllerManagerKubeconfig}},
	{Path: "/etc/kubernetes/kubelet.conf", Type: controlplane.FileKubeconfig, Roles: []string{controlplane.RoleKubeletKubeconfig}},
	{Path: "/var/lib/kubelet/config.yaml", Type: controlplane.FileConfig, Roles: []string{controlplane.RoleKubeletConfig}},
	{Path: "/var/lib/etcd", Type: controlplane.FileEtcdDataDir, Roles: []string{controlplane.RoleEtcdDataDir}},
	{Path: "/etc/kubernetes/pki", Type: controlplane.FileDirectory, Roles: []string{controlplane.RolePKI}},
	{Path: "/etc/kubernetes/pki/etcd", Type: controlplane.FileDirectory, Roles: []string{controlplane.RolePKI}},
	// The kubelet's systemd unit and kubeadm's drop-in, where distributions
	// put them.
	{Path: "/etc/systemd/system/kubelet.service", Type: controlplane.FileServiceUnit, Roles: []string{controlplane.RoleKubeletService}},
	{Path: "/lib/systemd/system/kubelet.service", Type: controlplane.FileServiceUnit, Roles: []string{controlplane.RoleKubeletService}},
	{Path: "/usr/lib/systemd/system/kubelet.service", Type: controlplane.FileServiceUnit, Roles: []string{controlplane.RoleKubeletService}},
}

// wellKnownGlobs are the kubeadm layout's directories of files.
var wellKnownGlobs = []struct {
	pattern string
	typ     controlplane.FileType
	role    string
}{
	{"/etc/kubernetes/manifests/*.yaml", controlplane.FileStaticPodManifest, ""},
	{"/etc/kubernetes/manifests/*.yml", controlplane.FileStaticPodManifest, ""},
	{"/etc/kubernetes/manifests/*.json", controlplane.FileStaticPodManifest, ""},
	{"/etc/kubernetes/pki/*.key", controlplane.FilePrivateKey, controlplane.RolePKI},
	{"/etc/kubernetes/pki/etcd/*.key", controlplane.FilePrivateKey, controlplane.RolePKI},
	{"/etc/kubernetes/pki/*.crt", controlplane.FileCertificate, controlplane.RolePKI},
	{"/etc/kubernetes/pki/etcd/*.crt", controlplane.FileCertificate, controlplane.RolePKI},
	{"/etc/kubernetes/pki/*.pub", controlplane.FileCertificate, controlplane.RolePKI},
	{"/etc/systemd/system/kubelet.service.d/*.conf", controlplane.FileServiceUnit, controlplane.RoleKubeletService},
	{"/usr/lib/systemd/system/kubelet.service.d/*.conf", controlplane.FileServiceUnit, controlplane.RoleKubeletService},
	{"/lib/systemd/system/kubelet.service.d/*.conf", controlplane.FileServiceUnit, controlplane.RoleKubeletService},
}

// manifestRoles are the roles of static pod manifests by file name.
var manifestRoles = map[string]string{
	"kube-apiserver":          controlplane.RoleAPIServerManifest,
	"kube-controller-manager": controlplane.RoleControllerManagerManifest,
	"kube-scheduler":          controlplane.RoleSchedulerManifest,
	"etcd":                    controlplane.RoleEtcdManifest,
}

// rolesByPath adds the roles a path has by where it is, whatever named it.
func rolesByPath(t *Target) {
	switch {
	case strings.HasPrefix(t.Path, "/etc/kubernetes/pki/"):
		t.Roles = append(t.Roles, controlplane.RolePKI)
	case t.Type == controlplane.FileStaticPodManifest:
		name := strings.TrimSuffix(filepath.Base(t.Path), filepath.Ext(t.Path))
		if r, ok := manifestRoles[name]; ok {
			t.Roles = append(t.Roles, r)
		}
	}
}

// wellKnown lists the well-known paths under root.
func wellKnown(root string) []Target {
	var out []Target
	for _, w := range wellKnownFiles {
		w.NamedBy, w.Optional = []string{"well-known path"}, true
		w.Roles = slices.Clone(w.Roles)
		out = append(out, w)
	}
	for _, g := range wellKnownGlobs {
		matches, _ := filepath.Glob(filepath.Join(root, g.pattern)) // only ErrBadPattern
		for _, m := range matches {
			t := Target{Path: hostPath(root, m), Type: g.typ, NamedBy: []string{"well-known path"}, Optional: true}
			if g.role != "" {
				t.Roles = []string{g.role}
			}
			out = append(out, t)
		}
	}
	return out
}

// hostPath turns a path under root back into the host's path.
func hostPath(root, local string) string {
	rel, err := filepath.Rel(root, local)
	if err != nil {
		return local
	}
	return filepath.Join("/", rel)
}

// flagFile is a flag that names a file, the file's type and role.
type flagFile struct {
	flag string
	typ  controlplane.FileType
	role string
}

// flagFiles lists, per component, the flags that name files.
// FileCertificate for --service-account-key-file is refined by the file's
// content (it may hold a private key).
var flagFiles = map[string][]flagFile{
	APIServer: {
		{"client-ca-file", controlplane.FileCertificate, ""},
		{"tls-cert-file", controlplane.FileCertificate, ""},
		{"tls-private-key-file", controlplane.FilePrivateKey, ""},
		{"etcd-cafile", controlplane.FileCertificate, ""},
		{"etcd-certfile", controlplane.FileCertificate, ""},
		{"etcd-keyfile", controlplane.FilePrivateKey, ""},
		{"kubelet-client-certificate", controlplane.FileCertificate, ""},
		{"kubelet-client-key", controlplane.FilePrivateKey, ""},
		{"kubelet-certificate-authority", controlplane.FileCertificate, ""},
		{"proxy-client-cert-file", controlplane.FileCertificate, ""},
		{"proxy-client-key-file", controlplane.FilePrivateKey, ""},
		{"requestheader-client-ca-file", controlplane.FileCertificate, ""},
		{"service-account-key-file", controlplane.FileCertificate, ""},
		{"service-account-signing-key-file", controlplane.FilePrivateKey, ""},
		{"token-auth-file", controlplane.FileCredentials, ""},
		{"encryption-provider-config", controlplane.FileCredentials, ""},
	},
	Kubelet: {
		{"kubeconfig", controlplane.FileKubeconfig, controlplane.RoleKubeletKubeconfig},
		{"bootstrap-kubeconfig", controlplane.FileKubeconfig, ""},
		{"config", controlplane.FileConfig, controlplane.RoleKubeletConfig},
		{"client-ca-file", controlplane.FileCertificate, controlplane.RoleKubeletClientCA},
		{"tls-cert-file", controlplane.FileCertificate, ""},
		{"tls-private-key-file", controlplane.FilePrivateKey, ""},
	},
	Etcd: {
		{"cert-file", controlplane.FileCertificate, ""},
		{"key-file", controlplane.FilePrivateKey, ""},
		{"trusted-ca-file", controlplane.FileCertificate, ""},
		{"peer-cert-file", controlplane.FileCertificate, ""},
		{"peer-key-file", controlplane.FilePrivateKey, ""},
		{"peer-trusted-ca-file", controlplane.FileCertificate, ""},
		{"data-dir", controlplane.FileEtcdDataDir, controlplane.RoleEtcdDataDir},
	},
	ControllerManager: {
		{"kubeconfig", controlplane.FileKubeconfig, controlplane.RoleControllerManagerKubeconfig},
		{"service-account-private-key-file", controlplane.FilePrivateKey, ""},
		{"root-ca-file", controlplane.FileCertificate, ""},
		{"cluster-signing-cert-file", controlplane.FileCertificate, ""},
		{"cluster-signing-key-file", controlplane.FilePrivateKey, ""},
	},
	Scheduler: {
		{"kubeconfig", controlplane.FileKubeconfig, controlplane.RoleSchedulerKubeconfig},
	},
	Proxy: {
		{"kubeconfig", controlplane.FileKubeconfig, controlplane.RoleProxyKubeconfig},
		{"config", controlplane.FileConfig, ""},
	},
}

// componentFiles lists the files a component's settings name.
func componentFiles(c *Component) []Target {
	var out []Target
	for _, ff := range flagFiles[c.Name] {
		v, ok := c.Setting(ff.flag)
		if !ok || v == "" || v == "true" {
			continue
		}
		t := Target{Path: c.abs(v), Type: ff.typ, NamedBy: []string{c.Name + " --" + ff.flag}, PID: c.PID}
		if ff.role != "" {
			t.Roles = []string{ff.role}
		}
		out = append(out, t)
	}
	return out
}

// Setting returns a setting's value as the component reads it: the flag,
// or for etcd its ETCD_* environment variable.
func (c *Component) Setting(name string) (string, bool) {
	if v, ok := c.Value(name); ok {
		return v, true
	}
	if prefix, ok := envPrefixes[c.Name]; ok {
		v, ok := c.Env[prefix+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))]
		return v, ok
	}
	return "", false
}

// abs resolves a path from the component's command line against its
// working directory.
func (c *Component) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	cwd := c.Cwd
	if cwd == "" {
		cwd = "/"
	}
	return filepath.Join(cwd, p)
}

// mergeTargets deduplicates targets by path: the first one's type wins
// (flags come first, they know best what a file is); roles and reasons
// are combined.
func mergeTargets(ts []Target) []Target {
	byPath := map[string]int{}
	var out []Target
	for _, t := range ts {
		rolesByPath(&t)
		i, ok := byPath[t.Path]
		if !ok {
			byPath[t.Path] = len(out)
			t.Roles = sortedUnique(t.Roles)
			out = append(out, t)
			continue
		}
		o := &out[i]
		o.Roles = sortedUnique(append(o.Roles, t.Roles...))
		o.Optional = o.Optional && t.Optional
		if o.PID == 0 {
			o.PID = t.PID
		}
		for _, n := range t.NamedBy {
			if !slices.Contains(o.NamedBy, n) {
				o.NamedBy = append(o.NamedBy, n)
			}
		}
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// resolve finds a host path under root, following symbolic links as the
// host would (absolute link targets are joined to the root too).
func resolve(root, host string) (string, fs.FileInfo, error) {
	for range 16 {
		local := filepath.Join(root, host)
		fi, err := os.Lstat(local)
		if err != nil {
			return local, nil, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return local, fi, nil
		}
		dest, err := os.Readlink(local)
		if err != nil {
			return local, nil, err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(host), dest)
		}
		host = filepath.Clean(dest)
	}
	return filepath.Join(root, host), nil, errors.New("too many levels of symbolic links")
}

// resolveFor is resolve, falling back to the mount namespace of the
// process that named the path (/proc/<pid>/root) when the host has no
// such file: a containerised component's flags name paths in its own
// mounts.
func (h *Host) resolveFor(pid int, host string) (string, fs.FileInfo, error) {
	local, fi, err := resolve(h.Root, host)
	if err == nil || pid == 0 || !errors.Is(err, fs.ErrNotExist) {
		return local, fi, err
	}
	if l2, fi2, err2 := resolve(filepath.Join(h.procDir, strconv.Itoa(pid), "root"), host); err2 == nil {
		return l2, fi2, nil
	}
	return local, fi, err
}

// looksLikePrivateKey reports whether a PEM file holds a private key.
func looksLikePrivateKey(local string) (bool, error) {
	b, err := os.ReadFile(local)
	if err != nil {
		return false, err
	}
	return strings.Contains(string(b), "PRIVATE KEY-----"), nil
}
