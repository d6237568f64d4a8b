package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kguard/kguard/internal/finding"
)

// FileKind says what a file is, which decides the mode it may have.
type FileKind int

// The kinds of files checked.
const (
	KindPrivateKey FileKind = iota
	KindKubeconfig
	KindManifest
	KindConfig
	KindCertificate
	KindDataDir
)

type kindInfo struct {
	label string
	// max is the most permissive acceptable mode: any other bit is a
	// finding.
	max      fs.FileMode
	severity finding.Severity
	dir      bool
}

// Expected modes. Private keys and kubeconfigs (which hold credentials)
// must be 0600; static pod manifests and configuration files 0600, as
// current CIS Benchmarks ask; certificates and public keys are public, so
// 0644 is accepted; the etcd data directory must be 0700.
var kinds = map[FileKind]kindInfo{
	KindPrivateKey:  {label: "private key", max: 0o600, severity: finding.SeverityHigh},
	KindKubeconfig:  {label: "kubeconfig", max: 0o600, severity: finding.SeverityHigh},
	KindManifest:    {label: "static pod manifest", max: 0o600, severity: finding.SeverityMedium},
	KindConfig:      {label: "configuration file", max: 0o600, severity: finding.SeverityMedium},
	KindCertificate: {label: "certificate or public key", max: 0o644, severity: finding.SeverityLow},
	KindDataDir:     {label: "etcd data directory", max: 0o700, severity: finding.SeverityMedium, dir: true},
}

func (k FileKind) String() string { return kinds[k].label }

// MaxMode is the most permissive mode accepted for the kind.
func (k FileKind) MaxMode() fs.FileMode { return kinds[k].max }

// Target is one file to check.
type Target struct {
	// Path is the path on the host (not joined to the root).
	Path string
	Kind FileKind
	// Why names where the path came from: a flag ("kube-apiserver
	// --tls-private-key-file") or "well-known path".
	Why string
	// Optional targets (well-known paths) are skipped when missing; a file
	// named by a flag must exist.
	Optional bool
	// CISMode and CISOwner are the CIS Benchmark sections of the
	// permission and ownership checks, when there are such sections.
	CISMode, CISOwner string
	// NoOwner skips the ownership check (the etcd data directory belongs
	// to the etcd user, not root).
	NoOwner bool
}

// well-known control-plane files (kubeadm layout) with their CIS sections.
var wellKnownFiles = []Target{
	{Path: "/etc/kubernetes/admin.conf", Kind: KindKubeconfig, CISMode: "1.1.13", CISOwner: "1.1.14"},
	{Path: "/etc/kubernetes/super-admin.conf", Kind: KindKubeconfig},
	{Path: "/etc/kubernetes/scheduler.conf", Kind: KindKubeconfig, CISMode: "1.1.15", CISOwner: "1.1.16"},
	{Path: "/etc/kubernetes/controller-manager.conf", Kind: KindKubeconfig, CISMode: "1.1.17", CISOwner: "1.1.18"},
	{Path: "/etc/kubernetes/kubelet.conf", Kind: KindKubeconfig, CISMode: "4.1.5", CISOwner: "4.1.6"},
	{Path: "/var/lib/kubelet/config.yaml", Kind: KindConfig, CISMode: "4.1.9", CISOwner: "4.1.10"},
	{Path: "/var/lib/etcd", Kind: KindDataDir, CISMode: "1.1.11", NoOwner: true},
}

// manifestCIS maps static pod manifest names to their CIS sections.
var manifestCIS = map[string][2]string{
	"kube-apiserver.yaml":          {"1.1.1", "1.1.2"},
	"kube-controller-manager.yaml": {"1.1.3", "1.1.4"},
	"kube-scheduler.yaml":          {"1.1.5", "1.1.6"},
	"etcd.yaml":                    {"1.1.7", "1.1.8"},
}

// cisForPath gives the sections a path has by where it is, whatever
// referenced it.
func cisForPath(t *Target) {
	switch {
	case t.CISMode != "" || t.CISOwner != "":
		return
	case strings.HasPrefix(t.Path, "/etc/kubernetes/pki/"):
		// 1.1.19: PKI files owned by root; 1.1.21: keys 600.
		t.CISOwner = "1.1.19"
		if t.Kind == KindPrivateKey {
			t.CISMode = "1.1.21"
		}
	case strings.HasPrefix(t.Path, "/etc/kubernetes/manifests/"):
		if s, ok := manifestCIS[filepath.Base(t.Path)]; ok {
			t.CISMode, t.CISOwner = s[0], s[1]
		}
	}
	for _, w := range wellKnownFiles {
		if w.Path == t.Path && w.Kind == t.Kind {
			t.CISMode, t.CISOwner = w.CISMode, w.CISOwner
		}
	}
}

// wellKnown lists the well-known paths under root: the fixed files, the
// static pod manifests and the kubeadm PKI.
func wellKnown(root string) []Target {
	var out []Target
	for _, w := range wellKnownFiles {
		w.Why, w.Optional = "well-known path", true
		out = append(out, w)
	}
	globs := []struct {
		pattern string
		kind    FileKind
	}{
		{"/etc/kubernetes/manifests/*.yaml", KindManifest},
		{"/etc/kubernetes/manifests/*.yml", KindManifest},
		{"/etc/kubernetes/manifests/*.json", KindManifest},
		{"/etc/kubernetes/pki/*.key", KindPrivateKey},
		{"/etc/kubernetes/pki/etcd/*.key", KindPrivateKey},
		{"/etc/kubernetes/pki/*.crt", KindCertificate},
		{"/etc/kubernetes/pki/etcd/*.crt", KindCertificate},
		{"/etc/kubernetes/pki/*.pub", KindCertificate},
	}
	for _, g := range globs {
		matches, _ := filepath.Glob(filepath.Join(root, g.pattern)) // only ErrBadPattern
		for _, m := range matches {
			out = append(out, Target{Path: hostPath(root, m), Kind: g.kind, Why: "well-known path", Optional: true})
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

// flagFiles lists, per component, the flags that name files and the kind
// of file they name. KindCertificate for --service-account-key-file is
// refined by the file's content (it may hold a private key).
var flagFiles = map[string][]struct {
	flag string
	kind FileKind
	cis  [2]string
}{
	APIServer: {
		{"client-ca-file", KindCertificate, [2]string{}},
		{"tls-cert-file", KindCertificate, [2]string{}},
		{"tls-private-key-file", KindPrivateKey, [2]string{}},
		{"etcd-cafile", KindCertificate, [2]string{}},
		{"etcd-certfile", KindCertificate, [2]string{}},
		{"etcd-keyfile", KindPrivateKey, [2]string{}},
		{"kubelet-client-certificate", KindCertificate, [2]string{}},
		{"kubelet-client-key", KindPrivateKey, [2]string{}},
		{"proxy-client-cert-file", KindCertificate, [2]string{}},
		{"proxy-client-key-file", KindPrivateKey, [2]string{}},
		{"requestheader-client-ca-file", KindCertificate, [2]string{}},
		{"service-account-key-file", KindCertificate, [2]string{}},
		{"service-account-signing-key-file", KindPrivateKey, [2]string{}},
		{"kubeconfig", KindKubeconfig, [2]string{}},
	},
	Kubelet: {
		{"kubeconfig", KindKubeconfig, [2]string{"4.1.5", "4.1.6"}},
		{"bootstrap-kubeconfig", KindKubeconfig, [2]string{}},
		{"config", KindConfig, [2]string{"4.1.9", "4.1.10"}},
		{"client-ca-file", KindCertificate, [2]string{"", "4.1.8"}},
		{"tls-cert-file", KindCertificate, [2]string{}},
		{"tls-private-key-file", KindPrivateKey, [2]string{}},
	},
	Etcd: {
		{"cert-file", KindCertificate, [2]string{}},
		{"key-file", KindPrivateKey, [2]string{}},
		{"trusted-ca-file", KindCertificate, [2]string{}},
		{"peer-cert-file", KindCertificate, [2]string{}},
		{"peer-key-file", KindPrivateKey, [2]string{}},
		{"peer-trusted-ca-file", KindCertificate, [2]string{}},
		{"data-dir", KindDataDir, [2]string{"1.1.11", ""}},
	},
	ControllerManager: {
		{"kubeconfig", KindKubeconfig, [2]string{"1.1.17", "1.1.18"}},
		{"service-account-private-key-file", KindPrivateKey, [2]string{}},
		{"root-ca-file", KindCertificate, [2]string{}},
		{"cluster-signing-cert-file", KindCertificate, [2]string{}},
		{"cluster-signing-key-file", KindPrivateKey, [2]string{}},
	},
	Scheduler: {
		{"kubeconfig", KindKubeconfig, [2]string{"1.1.15", "1.1.16"}},
	},
	Proxy: {
		{"kubeconfig", KindKubeconfig, [2]string{"4.1.3", "4.1.4"}},
	},
}

// componentFiles lists the files a component's flags name.
func componentFiles(c *Component) []Target {
	var out []Target
	for _, ff := range flagFiles[c.Name] {
		v, ok := c.Value(ff.flag)
		if !ok || v == "" || v == "true" {
			continue
		}
		t := Target{Path: c.abs(v), Kind: ff.kind, Why: c.Name + " --" + ff.flag, CISMode: ff.cis[0], CISOwner: ff.cis[1]}
		if ff.kind == KindDataDir {
			t.NoOwner = true
		}
		out = append(out, t)
	}
	return out
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

// mergeTargets deduplicates targets by path: the first one's kind wins
// (flags come first, they know best what a file is) and CIS sections and
// reasons are combined.
func mergeTargets(ts []Target) []Target {
	byPath := map[string]int{}
	var out []Target
	for _, t := range ts {
		cisForPath(&t)
		i, ok := byPath[t.Path]
		if !ok {
			byPath[t.Path] = len(out)
			out = append(out, t)
			continue
		}
		o := &out[i]
		if o.CISMode == "" {
			o.CISMode = t.CISMode
		}
		if o.CISOwner == "" {
			o.CISOwner = t.CISOwner
		}
		o.Optional = o.Optional && t.Optional
		if !strings.Contains(o.Why, t.Why) {
			o.Why += ", " + t.Why
		}
	}
	slices.SortFunc(out, func(a, b Target) int { return strings.Compare(a.Path, b.Path) })
	return out
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

// looksLikePrivateKey reports whether a PEM file holds a private key.
func looksLikePrivateKey(local string) (bool, error) {
	b, err := os.ReadFile(local)
	if err != nil {
		return false, err
	}
	return strings.Contains(string(b), "PRIVATE KEY-----"), nil
}

// describeMode renders a permission mode as 0644.
func describeMode(m fs.FileMode) string { return fmt.Sprintf("%04o", uint32(m.Perm())) }

// excess names who the extra bits let do what, for messages.
func excess(extra fs.FileMode) string {
	var who []string
	if extra&0o070 != 0 {
		who = append(who, "group")
	}
	if extra&0o007 != 0 {
		who = append(who, "others")
	}
	if extra&0o700 != 0 {
		who = append(who, "owner")
	}
	var what []string
	if extra&0o444 != 0 {
		what = append(what, "read")
	}
	if extra&0o222 != 0 {
		what = append(what, "write")
	}
	if extra&0o111 != 0 {
		what = append(what, "execute")
	}
	return strings.Join(who, " and ") + " may " + strings.Join(what, " and ")
}
