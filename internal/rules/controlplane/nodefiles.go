package controlplane

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// fileTypeRule is what a type of node file may be: its most permissive
// acceptable mode (any other bit is a finding) and the severity of a wider
// one.
type fileTypeRule struct {
	max      fs.FileMode
	severity finding.Severity
}

// Private keys, kubeconfigs and token files hold credentials; manifests,
// configuration files and service units decide how components run; the
// CIS Benchmark asks 0600 of all of them. Certificates are public (0644);
// the etcd data directory is 0700; other directories must not be writable
// by others.
var fileTypeRules = map[controlplane.FileType]fileTypeRule{
	controlplane.FilePrivateKey:        {0o600, finding.SeverityHigh},
	controlplane.FileKubeconfig:        {0o600, finding.SeverityHigh},
	controlplane.FileCredentials:       {0o600, finding.SeverityHigh},
	controlplane.FileStaticPodManifest: {0o600, finding.SeverityMedium},
	controlplane.FileConfig:            {0o600, finding.SeverityMedium},
	controlplane.FileServiceUnit:       {0o600, finding.SeverityLow},
	controlplane.FileCertificate:       {0o644, finding.SeverityLow},
	controlplane.FileEtcdDataDir:       {0o700, finding.SeverityMedium},
	controlplane.FileDirectory:         {0o755, finding.SeverityLow},
}

// The CIS checks of a file's mode and of its owner, by the file's role.
var (
	modeCIS = map[string]string{
		controlplane.RoleAPIServerManifest:           "1.1.1",
		controlplane.RoleControllerManagerManifest:   "1.1.3",
		controlplane.RoleSchedulerManifest:           "1.1.5",
		controlplane.RoleEtcdManifest:                "1.1.7",
		controlplane.RoleEtcdDataDir:                 "1.1.11",
		controlplane.RoleAdminKubeconfig:             "1.1.13",
		controlplane.RoleSchedulerKubeconfig:         "1.1.15",
		controlplane.RoleControllerManagerKubeconfig: "1.1.17",
		controlplane.RoleKubeletService:              "4.1.1",
		controlplane.RoleProxyKubeconfig:             "4.1.3",
		controlplane.RoleKubeletKubeconfig:           "4.1.5",
		controlplane.RoleKubeletClientCA:             "4.1.7",
		controlplane.RoleKubeletConfig:               "4.1.9",
	}
	ownerCIS = map[string]string{
		controlplane.RoleAPIServerManifest:           "1.1.2",
		controlplane.RoleControllerManagerManifest:   "1.1.4",
		controlplane.RoleSchedulerManifest:           "1.1.6",
		controlplane.RoleEtcdManifest:                "1.1.8",
		controlplane.RoleEtcdDataDir:                 "1.1.12",
		controlplane.RoleAdminKubeconfig:             "1.1.14",
		controlplane.RoleSchedulerKubeconfig:         "1.1.16",
		controlplane.RoleControllerManagerKubeconfig: "1.1.18",
		controlplane.RolePKI:                         "1.1.19",
		controlplane.RoleKubeletService:              "4.1.2",
		controlplane.RoleProxyKubeconfig:             "4.1.4",
		controlplane.RoleKubeletKubeconfig:           "4.1.6",
		controlplane.RoleKubeletClientCA:             "4.1.8",
		controlplane.RoleKubeletConfig:               "4.1.10",
	}
)

// modeChecks returns the CIS checks of a file's mode: by role, and for the
// PKI directory by type (1.1.20 certificates, 1.1.21 keys).
func modeChecks(f *controlplane.NodeFile) []string {
	var out []string
	for _, r := range f.Spec.Roles {
		if id, ok := modeCIS[r]; ok {
			out = append(out, id)
		}
		if r == controlplane.RolePKI {
			switch f.Spec.Type {
			case controlplane.FileCertificate:
				out = append(out, "1.1.20")
			case controlplane.FilePrivateKey:
				out = append(out, "1.1.21")
			}
		}
	}
	return sortedUnique(out)
}

func ownerChecks(f *controlplane.NodeFile) []string {
	var out []string
	for _, r := range f.Spec.Roles {
		if id, ok := ownerCIS[r]; ok {
			out = append(out, id)
		}
	}
	return sortedUnique(out)
}

func sortedUnique(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// nodeFileCIS lists every check the two file rules cover.
func nodeFileCIS(table map[string]string, extra ...string) []string {
	out := append([]string{}, extra...)
	for _, id := range table {
		out = append(out, id)
	}
	return sortedUnique(out)
}

var nodeFileKinds = []schema.GroupKind{controlplane.NodeFileKind}

func nodeFilePermissions() *rules.Rule {
	return &rules.Rule{
		ID:       "node-file-permissions",
		Category: finding.CategoryRuntime,
		Severity: finding.SeverityHigh,
		Title:    "Kubernetes file on the node is too permissive",
		Rationale: "Private keys, kubeconfigs and token files hold credentials; static pod manifests, " +
			"configuration files and service units decide how components run. Anyone on the node who can read " +
			"or change them can impersonate a component or change its behaviour. The severity follows the file: " +
			"high for credentials, medium for manifests, configuration and the etcd data directory, low for " +
			"certificates, service units and directories.",
		Remediation: "chmod the file to the mode the finding names: 0600 for keys, kubeconfigs, token files, " +
			"manifests, configuration files and service units, 0644 for certificates, 0700 for the etcd data " +
			"directory.",
		References: finding.References{
			CIS:  nodeFileCIS(modeCIS, "1.1.20", "1.1.21"),
			URLs: []string{"https://kubernetes.io/docs/setup/best-practices/certificates/"},
		},
		Kinds: nodeFileKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			f, ok := controlplane.ParseNodeFile(obj)
			if !ok {
				return
			}
			t, known := fileTypeRules[f.Spec.Type]
			mode, err := f.Status.Perm()
			if !known || err != nil {
				return // nothing to judge by; the file's object is malformed
			}
			cis := modeChecks(f)
			if len(cis) > 0 {
				p.Evaluated(obj, cis...)
			}
			if extra := mode &^ t.max; extra != 0 {
				p.ReportCIS(obj, t.severity, cis, "status.mode", fmt.Sprintf("%s %s has mode %s; want %s or stricter (%s)",
					f.Spec.Type.Label(), f.Spec.Path, controlplane.FormatMode(mode), controlplane.FormatMode(t.max), excess(extra)))
			}
		},
	}
}

func nodeFileOwner() *rules.Rule {
	return &rules.Rule{
		ID:       "node-file-owner",
		Category: finding.CategoryRuntime,
		Severity: finding.SeverityMedium,
		Title:    "Kubernetes file on the node is not owned by root:root",
		Rationale: "The owner of a file may change its mode and content: a key, kubeconfig or manifest owned by " +
			"an unprivileged user can be read or rewritten by that user, and a group other than root shares " +
			"whatever the group bits allow. The etcd data directory belongs to the account etcd runs as: root " +
			"(kubeadm) or a dedicated etcd user.",
		Remediation: "chown root:root the file (chown -R root:root /etc/kubernetes/pki for the PKI directory); for " +
			"the etcd data directory, chown it to the user and group etcd runs as (root:root or etcd:etcd).",
		References: finding.References{
			CIS:  nodeFileCIS(ownerCIS),
			URLs: []string{"https://kubernetes.io/docs/setup/best-practices/certificates/"},
		},
		Kinds: nodeFileKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			f, ok := controlplane.ParseNodeFile(obj)
			if !ok {
				return
			}
			if _, known := fileTypeRules[f.Spec.Type]; !known {
				return
			}
			cis := ownerChecks(f)
			if len(cis) > 0 {
				p.Evaluated(obj, cis...)
			}
			st := f.Status
			// CIS asks etcd:etcd; kubeadm runs etcd as root and owns the
			// directory root:root, which is as safe.
			etcdDir := f.Spec.Type == controlplane.FileEtcdDataDir
			userOK := st.UID == 0 || (etcdDir && st.User == "etcd")
			groupOK := st.GID == 0 || (etcdDir && st.Group == "etcd")
			want := "root:root"
			if etcdDir {
				want = "root:root or etcd:etcd"
			}
			switch {
			case !userOK:
				p.ReportCIS(obj, p.Rule.Severity, cis, "status.uid", fmt.Sprintf("%s %s is owned by %s; want %s",
					f.Spec.Type.Label(), f.Spec.Path, ownerText(st), want))
			case !groupOK:
				p.ReportCIS(obj, finding.SeverityLow, cis, "status.gid", fmt.Sprintf("%s %s belongs to group %s; want %s",
					f.Spec.Type.Label(), f.Spec.Path, idText(st.Group, st.GID), want))
			}
		},
	}
}

// ownerText renders a file's owner and group as user:group, by name when
// the node lists it and by number otherwise ("12345:root").
func ownerText(st controlplane.NodeFileStatus) string {
	return idText(st.User, st.UID) + ":" + idText(st.Group, st.GID)
}

func idText(name string, id int64) string {
	if name == "" {
		return strconv.FormatInt(id, 10)
	}
	return name
}

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
