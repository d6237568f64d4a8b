// Package nodetest builds fake node filesystems for tests of `kguard node`.
package nodetest

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// File is one file of a fake root. A Path ending in "/" is a directory.
type File struct {
	Path    string
	Mode    fs.FileMode
	Content string
	// UID, when not 0 and the test runs as root, is set as the owner.
	UID int
}

// ForeignUID is the owner the fixture gives admin.conf when the test runs
// as root (files a test creates are owned by the test's uid otherwise).
const ForeignUID = 12345

// KubeletConfig is the fixture's kubelet configuration: anonymous
// authentication on, authorization and read-only port left to defaults.
const KubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: true
`

// Cmdlines are the fixture's processes by PID, argv joined by NUL.
var Cmdlines = map[string][]string{
	"100": {"/usr/local/bin/kube-apiserver",
		"--etcd-servers=https://127.0.0.1:2379", "--authorization-mode", "Node,RBAC",
		"--tls-cert-file=/etc/kubernetes/pki/apiserver.crt", "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
		"--client-ca-file=/etc/kubernetes/pki/ca.crt",
		"--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
		"--service-account-key-file=/etc/kubernetes/pki/sa.pub"},
	"200": {"/usr/bin/kubelet", "--kubeconfig=/etc/kubernetes/kubelet.conf", "--config=/var/lib/kubelet/config.yaml", "--read-only-port=10255"},
	// hyperkube starts the scheduler; its kubeconfig does not exist.
	"300": {"/hyperkube", "scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf"},
	"400": {"/bin/bash", "-c", "sleep 1000"},
	"500": {},
	// etcd takes most settings from its environment (Environ).
	"600": {"/usr/local/bin/etcd", "--data-dir=/var/lib/etcd", "--peer-auto-tls=true"},
}

// Environ are the fixture's process environments, /proc/<pid>/environ.
var Environ = map[string][]string{
	"600": {"PATH=/usr/bin", "ETCD_CERT_FILE=/etc/kubernetes/pki/etcd/server.crt", "ETCD_KEY_FILE=/etc/kubernetes/pki/etcd/server.key",
		"ETCD_CLIENT_CERT_AUTH=true", "ETCD_PEER_CLIENT_CERT_AUTH=true", "ETCD_INITIAL_CLUSTER_TOKEN=s3cr3t-cluster-token-value"},
}

// Files are the fixture's files: some with good modes, some too
// permissive.
func Files() []File {
	return []File{
		{Path: "/etc/kubernetes/pki/apiserver.key", Mode: 0o600, Content: "-----BEGIN RSA PRIVATE KEY-----\n"},
		{Path: "/etc/kubernetes/pki/apiserver-etcd-client.key", Mode: 0o644, Content: "-----BEGIN RSA PRIVATE KEY-----\n"},
		{Path: "/etc/kubernetes/pki/sa.key", Mode: 0o640, Content: "-----BEGIN RSA PRIVATE KEY-----\n"},
		{Path: "/etc/kubernetes/pki/sa.pub", Mode: 0o644, Content: "-----BEGIN PUBLIC KEY-----\n"},
		{Path: "/etc/kubernetes/pki/apiserver.crt", Mode: 0o644, Content: "-----BEGIN CERTIFICATE-----\n"},
		{Path: "/etc/kubernetes/pki/ca.crt", Mode: 0o666, Content: "-----BEGIN CERTIFICATE-----\n"},
		{Path: "/etc/kubernetes/admin.conf", Mode: 0o644, Content: "apiVersion: v1\nkind: Config\n", UID: ForeignUID},
		{Path: "/etc/kubernetes/kubelet.conf", Mode: 0o600, Content: "apiVersion: v1\nkind: Config\n"},
		{Path: "/etc/kubernetes/manifests/kube-apiserver.yaml", Mode: 0o600, Content: "kind: Pod\n"},
		{Path: "/etc/kubernetes/manifests/etcd.yaml", Mode: 0o644, Content: "kind: Pod\n"},
		{Path: "/var/lib/kubelet/config.yaml", Mode: 0o644, Content: KubeletConfig},
		{Path: "/var/lib/etcd/", Mode: 0o755},
		{Path: "/etc/kubernetes/pki/etcd/server.crt", Mode: 0o644, Content: "-----BEGIN CERTIFICATE-----\n"},
		{Path: "/etc/kubernetes/pki/etcd/server.key", Mode: 0o600, Content: "-----BEGIN EC PRIVATE KEY-----\n"},
		{Path: "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf", Mode: 0o644, Content: "[Service]\n"},
		{Path: "/etc/passwd", Mode: 0o644, Content: "root:x:0:0:root:/root:/bin/sh\netcd:x:998:998::/var/lib/etcd:/usr/sbin/nologin\n"},
		{Path: "/etc/group", Mode: 0o644, Content: "root:x:0:\netcd:x:998:\n"},
	}
}

// Root builds the fixture in a temporary directory and returns it.
// withProc false leaves /proc out.
func Root(t testing.TB, withProc bool) string {
	t.Helper()
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if withProc {
		for pid, argv := range Cmdlines {
			dir := filepath.Join(root, "proc", pid)
			must(os.MkdirAll(dir, 0o755))
			b := ""
			if len(argv) > 0 {
				b = strings.Join(argv, "\x00") + "\x00"
			}
			must(os.WriteFile(filepath.Join(dir, "cmdline"), []byte(b), 0o444))
			if env, ok := Environ[pid]; ok {
				must(os.WriteFile(filepath.Join(dir, "environ"), []byte(strings.Join(env, "\x00")+"\x00"), 0o400))
			}
		}
		// Not a process.
		must(os.MkdirAll(filepath.Join(root, "proc", "sys"), 0o755))
	}
	for _, f := range Files() {
		p := filepath.Join(root, f.Path)
		if strings.HasSuffix(f.Path, "/") {
			must(os.MkdirAll(p, 0o755))
		} else {
			must(os.MkdirAll(filepath.Dir(p), 0o755))
			must(os.WriteFile(p, []byte(f.Content), 0o600))
		}
		must(os.Chmod(p, f.Mode)) // not subject to the umask
		if f.UID != 0 && os.Getuid() == 0 {
			must(os.Chown(p, f.UID, -1))
		}
	}
	return root
}
