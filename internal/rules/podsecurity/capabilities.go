package podsecurity

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/finding"
)

// baselineCapabilities may be added under the baseline level (the Pod
// Security Standards' list, the default set of container runtimes without
// NET_RAW).
var baselineCapabilities = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true,
	"MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true,
	"SYS_CHROOT": true,
}

// capabilityPower rates the capabilities outside the baseline set by what
// they let a process do (capabilities(7)):
//   - high: reach the kernel, other processes or the node: load modules,
//     mount and namespace control (SYS_ADMIN), ptrace, raw I/O, reboot,
//     the clock, open_by_handle_at (DAC_READ_SEARCH, the "shocker"
//     escape), eBPF and perf (kernel memory reads), network
//     configuration, MAC policy, restoring processes with chosen PIDs;
//   - medium: forge packets on the pod network (NET_RAW: ARP and DNS
//     spoofing), override resource limits and reserved space, read the
//     kernel log (addresses that defeat KASLR), turn auditing off, unset
//     immutable flags;
//   - low: lock memory, raise priority, timers and suspend, leases,
//     read the audit log, broadcast, process accounting, TTY settings.
var capabilityPower = map[string]finding.Severity{
	"ALL": finding.SeverityHigh, "SYS_ADMIN": finding.SeverityHigh, "SYS_MODULE": finding.SeverityHigh,
	"SYS_PTRACE": finding.SeverityHigh, "SYS_RAWIO": finding.SeverityHigh, "SYS_BOOT": finding.SeverityHigh,
	"SYS_TIME": finding.SeverityHigh, "DAC_READ_SEARCH": finding.SeverityHigh, "BPF": finding.SeverityHigh,
	"PERFMON": finding.SeverityHigh, "NET_ADMIN": finding.SeverityHigh, "MAC_ADMIN": finding.SeverityHigh,
	"MAC_OVERRIDE": finding.SeverityHigh, "CHECKPOINT_RESTORE": finding.SeverityHigh,

	"NET_RAW": finding.SeverityMedium, "SYS_RESOURCE": finding.SeverityMedium, "SYSLOG": finding.SeverityMedium,
	"AUDIT_CONTROL": finding.SeverityMedium, "LINUX_IMMUTABLE": finding.SeverityMedium,

	"IPC_LOCK": finding.SeverityLow, "IPC_OWNER": finding.SeverityLow, "SYS_NICE": finding.SeverityLow,
	"WAKE_ALARM": finding.SeverityLow, "BLOCK_SUSPEND": finding.SeverityLow, "LEASE": finding.SeverityLow,
	"AUDIT_READ": finding.SeverityLow, "NET_BROADCAST": finding.SeverityLow, "SYS_PACCT": finding.SeverityLow,
	"SYS_TTY_CONFIG": finding.SeverityLow,
}

// capabilityName normalises a capability as container runtimes read it:
// any case, with or without the CAP_ prefix.
func capabilityName(c corev1.Capability) string {
	return strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(string(c))), "CAP_")
}

// eachCapabilities calls fn with the capabilities of every container
// (init, regular, ephemeral; nil when it sets none), as the PSS checks
// read them.
func eachCapabilities(spec *corev1.PodSpec, fn func(*corev1.Capabilities)) {
	visit := func(sc *corev1.SecurityContext) {
		if sc != nil {
			fn(sc.Capabilities)
		} else {
			fn(nil)
		}
	}
	for i := range spec.InitContainers {
		visit(spec.InitContainers[i].SecurityContext)
	}
	for i := range spec.Containers {
		visit(spec.Containers[i].SecurityContext)
	}
	for i := range spec.EphemeralContainers {
		visit(spec.EphemeralContainers[i].SecurityContext)
	}
}

// baselineCapabilitySeverity is the strongest capability added outside
// the baseline set; an unknown name is medium (it grants nothing, but
// kguard cannot rate it).
func baselineCapabilitySeverity(spec *corev1.PodSpec) finding.Severity {
	sev := finding.SeverityInfo
	eachCapabilities(spec, func(c *corev1.Capabilities) {
		if c == nil {
			return
		}
		for _, a := range c.Add {
			name := capabilityName(a)
			if baselineCapabilities[name] {
				continue
			}
			s, ok := capabilityPower[name]
			if !ok {
				s = finding.SeverityMedium
			}
			sev = max(sev, s)
		}
	})
	if sev == finding.SeverityInfo {
		// The check failed on something not read here: keep the rule's
		// severity.
		return finding.SeverityHigh
	}
	return sev
}

// restrictedCapabilitySeverity: medium when a container keeps the
// runtime's default set (no drop ALL) or adds a capability beyond the
// baseline set (pss-baseline-capabilities rates that one); low when every
// container drops ALL and adds back only baseline capabilities.
func restrictedCapabilitySeverity(spec *corev1.PodSpec) finding.Severity {
	sev := finding.SeverityLow
	eachCapabilities(spec, func(c *corev1.Capabilities) {
		if c == nil {
			sev = finding.SeverityMedium
			return
		}
		dropsAll := false
		for _, d := range c.Drop {
			dropsAll = dropsAll || capabilityName(d) == "ALL"
		}
		if !dropsAll {
			sev = finding.SeverityMedium
		}
		for _, a := range c.Add {
			if !baselineCapabilities[capabilityName(a)] {
				sev = finding.SeverityMedium
			}
		}
	})
	return sev
}
