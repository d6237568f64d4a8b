package controlplane

import (
	"fmt"
	"io/fs"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/inventory"
)

// The synthetic kinds `kguard node` describes a host with, so that the rule
// registry judges a running process and a file on disk like any manifest.
// They are never applied to a cluster; docs/node-objects.md documents them.
const (
	// NodeGroup is the API group of the synthetic node kinds.
	NodeGroup = "node.kguard.io"
	// NodeAPIVersion is their apiVersion.
	NodeAPIVersion = NodeGroup + "/v1alpha1"
	// AnnotationPath names, on a configuration object read from a node
	// (KubeletConfiguration, KubeProxyConfiguration), the file it was read
	// from, so that rules match it with the process whose --config names
	// that path.
	AnnotationPath = NodeGroup + "/path"
)

// Kinds of the synthetic node objects.
var (
	NodeProcessKind = schema.GroupKind{Group: NodeGroup, Kind: "NodeProcess"}
	NodeFileKind    = schema.GroupKind{Group: NodeGroup, Kind: "NodeFile"}
)

// NodeProcess is one running Kubernetes component: its command line (with
// credentials redacted) and the environment variables the component reads
// its settings from. Rules read its flags as they read a static pod's.
type NodeProcess struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              NodeProcessSpec `json:"spec"`
}

// NodeProcessSpec describes the process.
type NodeProcessSpec struct {
	// Component is the component's name (kube-apiserver, kubelet, etcd,
	// kube-controller-manager, kube-scheduler, kube-proxy).
	Component string `json:"component"`
	// PID is the process ID on the host when it was read.
	PID int `json:"pid,omitempty"`
	// Command is the full command line, argv[0] included.
	Command []string `json:"command"`
	// Env holds the environment variables that set the component's flags
	// (ETCD_* for etcd); other variables are left out.
	Env []EnvVar `json:"env,omitempty"`
	// WorkingDir resolves relative paths in flags.
	WorkingDir string `json:"workingDir,omitempty"`
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// FileType says what a file on the node is, which decides the mode and
// owner it may have.
type FileType string

// The file types `kguard node` checks.
const (
	FilePrivateKey  FileType = "PrivateKey"
	FileCertificate FileType = "Certificate"
	FileKubeconfig  FileType = "Kubeconfig"
	// FileCredentials holds secrets other than keys and kubeconfigs (the
	// API server's static token file).
	FileCredentials       FileType = "Credentials"
	FileStaticPodManifest FileType = "StaticPodManifest"
	FileConfig            FileType = "Config"
	FileServiceUnit       FileType = "ServiceUnit"
	FileEtcdDataDir       FileType = "EtcdDataDir"
	FileDirectory         FileType = "Directory"
)

// FileTypes lists every file type, for validation and documentation.
func FileTypes() []FileType {
	return []FileType{FilePrivateKey, FileCertificate, FileKubeconfig, FileCredentials, FileStaticPodManifest,
		FileConfig, FileServiceUnit, FileEtcdDataDir, FileDirectory}
}

// Label names the type in messages ("private key").
func (t FileType) Label() string {
	switch t {
	case FilePrivateKey:
		return "private key"
	case FileCertificate:
		return "certificate or public key"
	case FileKubeconfig:
		return "kubeconfig"
	case FileCredentials:
		return "credentials file"
	case FileStaticPodManifest:
		return "static pod manifest"
	case FileConfig:
		return "configuration file"
	case FileServiceUnit:
		return "service unit file"
	case FileEtcdDataDir:
		return "etcd data directory"
	case FileDirectory:
		return "directory"
	}
	return "file"
}

// IsDir reports whether files of this type are directories.
func (t FileType) IsDir() bool { return t == FileEtcdDataDir || t == FileDirectory }

// File roles: what a file is for, which names the CIS Benchmark checks of
// its mode and owner. A file may have several (the kubeadm CA certificate
// is in the PKI directory and is the kubelet's client CA).
const (
	RoleAPIServerManifest           = "kube-apiserver-manifest"
	RoleControllerManagerManifest   = "kube-controller-manager-manifest"
	RoleSchedulerManifest           = "kube-scheduler-manifest"
	RoleEtcdManifest                = "etcd-manifest"
	RoleEtcdDataDir                 = "etcd-data-dir"
	RoleAdminKubeconfig             = "admin-kubeconfig"
	RoleSchedulerKubeconfig         = "scheduler-kubeconfig"
	RoleControllerManagerKubeconfig = "controller-manager-kubeconfig"
	RolePKI                         = "pki"
	RoleKubeletService              = "kubelet-service"
	RoleProxyKubeconfig             = "kube-proxy-kubeconfig"
	RoleKubeletKubeconfig           = "kubelet-kubeconfig"
	RoleKubeletClientCA             = "kubelet-client-ca"
	RoleKubeletConfig               = "kubelet-config"
)

// NodeFile is one file or directory on the node with its mode and owner.
type NodeFile struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              NodeFileSpec   `json:"spec"`
	Status            NodeFileStatus `json:"status"`
}

// NodeFileSpec says what the file is.
type NodeFileSpec struct {
	// Path is the path on the host.
	Path string   `json:"path"`
	Type FileType `json:"type"`
	// Roles say what the file is for (Role* constants).
	Roles []string `json:"roles,omitempty"`
	// NamedBy says why the file was checked: the flags that name it
	// ("kube-apiserver --tls-private-key-file") or "well-known path".
	NamedBy []string `json:"namedBy,omitempty"`
}

// NodeFileStatus is what stat(2) said of the file.
type NodeFileStatus struct {
	// Mode holds the permission bits in octal, such as "0600".
	Mode string `json:"mode"`
	UID  int64  `json:"uid"`
	GID  int64  `json:"gid"`
	// User and Group name the owner and group in the node's /etc/passwd
	// and /etc/group, when they are listed there.
	User  string `json:"user,omitempty"`
	Group string `json:"group,omitempty"`
}

// Perm returns the permission bits.
func (s NodeFileStatus) Perm() (fs.FileMode, error) {
	n, err := strconv.ParseUint(s.Mode, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, fmt.Errorf("mode %q is not an octal permission", s.Mode)
	}
	return fs.FileMode(n).Perm(), nil
}

// FormatMode renders permission bits the way NodeFileStatus.Mode holds them.
func FormatMode(m fs.FileMode) string { return fmt.Sprintf("%04o", uint32(m.Perm())) }

// ParseNodeFile reads a NodeFile object of the inventory; ok is false when
// obj is not one or does not decode.
func ParseNodeFile(obj *inventory.Object) (*NodeFile, bool) {
	var f NodeFile
	if obj.GroupKind() != NodeFileKind || !fromUnstructured(obj, &f) {
		return nil, false
	}
	return &f, true
}

// ParseNodeProcess reads a NodeProcess object of the inventory.
func ParseNodeProcess(obj *inventory.Object) (*NodeProcess, bool) {
	var p NodeProcess
	if obj.GroupKind() != NodeProcessKind || !fromUnstructured(obj, &p) {
		return nil, false
	}
	return &p, true
}

func fromUnstructured(obj *inventory.Object, into any) bool {
	u, ok := obj.Unstructured()
	if !ok {
		return false
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into) == nil
}
