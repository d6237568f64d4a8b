package podsecurity

import (
	"slices"
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/policy"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

// pssMeta is what kguard adds to one upstream check: the words a user
// reads. The check itself stays upstream's.
type pssMeta struct {
	severity    finding.Severity
	title       string
	control     string // the control's name in the PSS document
	rationale   string
	remediation string
	cis         []string
	mitre       []string
	// notReported says what the check deliberately leaves alone (beyond
	// control-plane static pods, which no PSS rule judges).
	notReported string
	// severityOf, when set, rates one finding by what the pod does (the
	// capability it adds); severity is then the highest it gives.
	severityOf func(spec *corev1.PodSpec) finding.Severity
}

const pssURL = "https://kubernetes.io/docs/concepts/security/pod-security-standards/"

// pssChecks describes every check of policy.DefaultChecks(). A test fails
// when upstream adds a check this table does not describe.
var pssChecks = map[policy.CheckID]pssMeta{
	"privileged": {
		severity: finding.SeverityCritical, title: "Privileged container", control: "Privileged Containers",
		rationale: "A privileged container has every capability and all host devices; it is root on the node " +
			"in all but name, and escaping to the host is trivial.",
		remediation: "Remove securityContext.privileged (or set it to false); grant the one capability the " +
			"workload needs instead.",
		cis: []string{"5.2.2"}, mitre: []string{"T1611"},
	},
	"hostNamespaces": {
		severity: finding.SeverityHigh, title: "Pod shares the host's network, PID or IPC namespace", control: "Host Namespaces",
		rationale: "hostNetwork lets the pod listen on and sniff the node's interfaces and reach node-local " +
			"services; hostPID lets it see and signal every process on the node; hostIPC exposes the node's " +
			"shared memory.",
		remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec; use a Service or a DaemonSet " +
			"port for node-level networking.",
		cis: []string{"5.2.3", "5.2.4", "5.2.5"}, mitre: []string{"T1611"},
	},
	"capabilities_baseline": {
		severity: finding.SeverityHigh, title: "Container adds a capability beyond the default set", control: "Capabilities",
		rationale: "Capabilities such as SYS_ADMIN, NET_ADMIN or SYS_PTRACE give a container powers that lead " +
			"to the host; baseline allows only the runtime's default set to be added. The severity follows the " +
			"strongest capability added: high for those that reach the kernel or other processes (ALL, SYS_ADMIN, " +
			"SYS_MODULE, SYS_PTRACE, SYS_RAWIO, SYS_BOOT, SYS_TIME, DAC_READ_SEARCH, BPF, PERFMON, NET_ADMIN, " +
			"MAC_ADMIN, MAC_OVERRIDE, CHECKPOINT_RESTORE), medium for those that forge traffic or weaken the " +
			"node's accounting (NET_RAW, SYS_RESOURCE, SYSLOG, AUDIT_CONTROL, LINUX_IMMUTABLE) and for names " +
			"kguard does not know, low for resource and timer controls (IPC_LOCK, IPC_OWNER, SYS_NICE, " +
			"WAKE_ALARM, BLOCK_SUSPEND, LEASE, AUDIT_READ, NET_BROADCAST, SYS_PACCT, SYS_TTY_CONFIG).",
		remediation: "Remove the capability from securityContext.capabilities.add; if the workload truly needs " +
			"it, run it in a namespace whose Pod Security level is privileged, isolated from others.",
		cis: []string{"5.2.9"}, mitre: []string{"T1611"},
		notReported: "The baseline set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, " +
			"NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT) may be added: " +
			"pss-restricted-capabilities judges those.",
		severityOf: baselineCapabilitySeverity,
	},
	"hostPathVolumes": {
		severity: finding.SeverityHigh, title: "Pod mounts a hostPath volume", control: "HostPath Volumes",
		rationale: "A hostPath volume exposes the node's filesystem: the container runtime socket, kubelet " +
			"credentials and other pods' data are one path away.",
		remediation: "Use a persistent volume, an emptyDir, a ConfigMap or a CSI driver instead of hostPath.",
		cis:         []string{"5.2.11"}, mitre: []string{"T1611"},
	},
	"hostPorts": {
		severity: finding.SeverityMedium, title: "Container binds a host port", control: "Host Ports",
		rationale: "A hostPort bypasses Services and NetworkPolicy on the node's interfaces and limits " +
			"scheduling to one such pod per node.",
		remediation: "Remove hostPort; expose the port through a Service (NodePort or LoadBalancer if it must " +
			"be reachable from outside).",
		cis: []string{"5.2.12"}, mitre: []string{"T1133"},
	},
	"appArmorProfile": {
		severity: finding.SeverityMedium, title: "AppArmor profile is disabled or custom", control: "AppArmor",
		rationale: "Setting the AppArmor profile to unconfined removes a mandatory access control layer that " +
			"blocks many container escapes.",
		remediation: "Leave appArmorProfile unset or use RuntimeDefault or Localhost.",
		mitre:       []string{"T1611"},
	},
	"seLinuxOptions": {
		severity: finding.SeverityMedium, title: "SELinux options are overridden", control: "SELinux",
		rationale: "Custom SELinux user or role values, or a type other than the container types, can take " +
			"the container out of the confinement SELinux gives it.",
		remediation: "Remove seLinuxOptions.user and role; use only container_t, container_init_t, " +
			"container_kvm_t or container_engine_t as type.",
		mitre: []string{"T1611"},
	},
	"procMount": {
		severity: finding.SeverityMedium, title: "Container unmasks /proc", control: "/proc Mount Type",
		rationale:   "procMount: Unmasked exposes kernel interfaces under /proc that the runtime normally hides.",
		remediation: "Remove securityContext.procMount or set it to Default.",
		mitre:       []string{"T1611"},
	},
	"seccompProfile_baseline": {
		severity: finding.SeverityMedium, title: "Seccomp is explicitly disabled", control: "Seccomp",
		rationale: "An Unconfined seccomp profile lets the container make every system call, including the " +
			"rarely used ones most kernel exploits go through.",
		remediation: "Set seccompProfile.type to RuntimeDefault (or Localhost with a reviewed profile).",
		cis:         []string{"5.6.2"}, mitre: []string{"T1611"},
	},
	"sysctls": {
		severity: finding.SeverityMedium, title: "Pod sets an unsafe sysctl", control: "Sysctls",
		rationale: "Sysctls outside the namespaced safe set change kernel settings for the whole node, or for " +
			"every pod on it.",
		remediation: "Remove the sysctl, or use only the safe set (kernel.shm_rmid_forced, " +
			"net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, ...).",
		mitre: []string{"T1611"},
	},
	"windowsHostProcess": {
		severity: finding.SeverityCritical, title: "Windows HostProcess container", control: "HostProcess",
		rationale: "A Windows HostProcess container runs directly on the host with the host's privileges.",
		remediation: "Remove windowsOptions.hostProcess; run node-level Windows tooling from a dedicated, " +
			"privileged namespace.",
		cis: []string{"5.2.10"}, mitre: []string{"T1611"},
	},
	"hostProbesAndHostLifecycle": {
		severity: finding.SeverityMedium, title: "Probe or lifecycle hook targets another host", control: "Host Probes / Lifecycle Hooks",
		rationale: "A probe or lifecycle handler with a host field makes the kubelet send requests to an " +
			"arbitrary address: a server-side request forgery from the node.",
		remediation: "Remove the host field from httpGet and tcpSocket probes and lifecycle handlers; they then " +
			"target the pod's own IP.",
		mitre: []string{"T1090"},
	},
	"restrictedVolumes": {
		severity: finding.SeverityMedium, title: "Pod uses a volume type outside the restricted set", control: "Volume Types",
		rationale: "Restricted allows only volume types that cannot reach node resources (configMap, csi, " +
			"downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected, secret, image); others such as " +
			"nfs, iscsi or hostPath bypass storage policy.",
		remediation: "Replace the volume with a persistentVolumeClaim or one of the allowed types.",
		mitre:       []string{"T1611"},
	},
	"allowPrivilegeEscalation": {
		severity: finding.SeverityMedium, title: "Container allows privilege escalation", control: "Privilege Escalation",
		rationale: "Unless allowPrivilegeEscalation is false, setuid binaries and file capabilities in the " +
			"image can gain privileges the container was not given.",
		remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
		cis:         []string{"5.2.6"}, mitre: []string{"T1548"},
	},
	"runAsNonRoot": {
		severity: finding.SeverityMedium, title: "Container may run as root", control: "Running as Non-root",
		rationale: "Root in a container is root on the node's kernel: every kernel or runtime bug becomes an " +
			"escape, and files on mounted volumes are writable.",
		remediation: "Set securityContext.runAsNonRoot: true on the pod (containers inherit it) and build the " +
			"image with a non-root USER.",
		cis: []string{"5.2.7"}, mitre: []string{"T1611"},
	},
	"runAsUser": {
		severity: finding.SeverityMedium, title: "Container runs as UID 0", control: "Running as Non-root user",
		rationale:   "runAsUser: 0 forces root whatever the image says.",
		remediation: "Set runAsUser to a non-zero UID, or remove it and set runAsNonRoot: true.",
		cis:         []string{"5.2.7"}, mitre: []string{"T1611"},
	},
	"seccompProfile_restricted": {
		severity: finding.SeverityLow, title: "Seccomp profile is not set", control: "Seccomp",
		rationale: "Without a seccomp profile the container may make any system call; RuntimeDefault blocks " +
			"the dangerous ones at almost no cost.",
		remediation: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (containers inherit it).",
		cis:         []string{"5.6.2"}, mitre: []string{"T1611"},
	},
	"capabilities_restricted": {
		severity: finding.SeverityMedium, title: "Container does not drop all capabilities", control: "Capabilities",
		rationale: "Restricted requires drop: [ALL], adding back at most NET_BIND_SERVICE: default " +
			"capabilities such as NET_RAW and CHOWN are rarely needed and widen the attack surface. Keeping the " +
			"runtime's whole default set (no drop: [ALL]) is medium; dropping ALL and adding back only capabilities " +
			"of the baseline set (CHOWN, SETUID...) is low.",
		remediation: "Set securityContext.capabilities.drop: [ALL]; add NET_BIND_SERVICE only to bind ports " +
			"below 1024.",
		cis: []string{"5.2.8", "5.2.9"}, mitre: []string{"T1611"},
		notReported: "Windows pods (spec.os.name: windows), where the field does not exist, as upstream's " +
			"evaluator does; capabilities beyond the baseline set are rated by pss-baseline-capabilities.",
		severityOf: restrictedCapabilitySeverity,
	},
	"procMount_restricted": {
		severity: finding.SeverityLow, title: "Container unmasks /proc in a user namespace", control: "/proc Mount Type",
		rationale:   "Restricted allows no /proc mount type but Default, even for pods in a user namespace.",
		remediation: "Remove securityContext.procMount or set it to Default.",
		mitre:       []string{"T1611"},
	},
}

// pssRules builds one rule per upstream check, at its newest version.
func pssRules() []*rules.Rule {
	var out []*rules.Rule
	for _, c := range policy.DefaultChecks() {
		meta, ok := pssChecks[c.ID]
		if !ok {
			// A new upstream check without kguard's description: the
			// registry test names it; scanning goes on without it.
			continue
		}
		out = append(out, pssRule(c, meta))
	}
	return out
}

func pssRule(c policy.Check, meta pssMeta) *rules.Rule {
	level := string(c.Level)
	check := c.Versions[len(c.Versions)-1].CheckPod
	rationale := meta.rationale + " The Pod Security Standards " + level + " level forbids it."
	if meta.notReported != "" {
		rationale += " Not reported: " + meta.notReported
	}
	return rules.AppHardening(&rules.Rule{
		ID:        PSSRuleID(c),
		Category:  finding.CategoryPodSecurity,
		Severity:  meta.severity,
		Title:     meta.title,
		Rationale: rationale,
		Remediation: meta.remediation + " Namespaces labelled pod-security.kubernetes.io/enforce: " + level +
			" (or stricter) reject such pods.",
		References: finding.References{
			CIS:   meta.cis,
			NSA:   []string{"Pod security: non-root containers, privileges and the Pod Security Standards"},
			MITRE: meta.mitre,
			PSS:   level + ": " + meta.control,
			URLs:  []string{pssURL},
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			res := check(w.PodMeta, defaulted(w.Spec))
			if res.Allowed {
				return
			}
			msg := "PSS " + level + " check " + string(c.ID) + ": " + res.ForbiddenReason
			if res.ForbiddenDetail != "" {
				msg += " (" + res.ForbiddenDetail + ")"
			}
			sev := meta.severity
			if meta.severityOf != nil {
				sev = meta.severityOf(w.Spec)
			}
			p.ReportSeverity(w.Object, sev, w.SpecPath, msg)
		},
	})
}

// PSSRuleID is the kguard rule ID of a PSS check: "pss-<level>-<check>",
// with the check's camelCase name dashed and its level suffix dropped
// ("capabilities_restricted" -> "pss-restricted-capabilities") and a
// repeated level dropped ("restrictedVolumes" -> "pss-restricted-volumes").
func PSSRuleID(c policy.Check) string {
	name := string(c.ID)
	name = strings.TrimSuffix(name, "_"+string(c.Level))
	if rest, ok := strings.CutPrefix(name, string(c.Level)); ok && rest != "" {
		name = strings.ToLower(rest[:1]) + rest[1:] // "restrictedVolumes" -> "volumes"
	}
	var b strings.Builder
	b.WriteString("pss-" + string(c.Level) + "-")
	for i, r := range name {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// defaulted returns spec as the API server stores it, as far as the checks
// can tell: a volume with no source is an emptyDir (SetDefaults_Volume).
// Manifests are checked before defaulting, the cluster after; without this
// kguard would reject pods the cluster admits. spec itself is not changed.
func defaulted(spec *corev1.PodSpec) *corev1.PodSpec {
	var vols []corev1.Volume
	for i, v := range spec.Volumes {
		if v.VolumeSource != (corev1.VolumeSource{}) {
			continue
		}
		if vols == nil {
			vols = slices.Clone(spec.Volumes)
		}
		vols[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
	if vols == nil {
		return spec
	}
	cp := *spec
	cp.Volumes = vols
	return &cp
}
