package sensor

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/kguard/kguard/internal/detect"
)

// Hook names, as reported by Hooks and accepted by Options.FailHooks.
const (
	HookExec    = "exec"
	HookFile    = "file"
	HookNetwork = "network"
	HookDeny    = "deny"
)

// Options configure a Sensor.
type Options struct {
	// Rules are evaluated on every event; required.
	Rules *detect.RuleSet
	// OnAlert receives every alert, with the action taken ("" or, for
	// kill rules under Enforce, "kill" or "kill_failed"); required. It is
	// called from the sensor's reader goroutine.
	OnAlert func(a detect.Alert, action string)
	// OnEvent, if set, sees every event before the rules (for tests and
	// counting).
	OnEvent func(detect.Event)
	// Enrich maps a cgroup ID to the container running in it; nil leaves
	// the container empty.
	Enrich func(cgroupID uint64) detect.Container
	// Watch lists the path prefixes whose opens are reported; nil means
	// DefaultWatchPaths.
	Watch []WatchPath
	// Enforce turns on kill actions and the connect deny list.
	Enforce bool
	// DenyConnect are IPv4 address:port pairs refused under Enforce; an
	// unspecified address (0.0.0.0) matches any address, port 0 any port.
	DenyConnect []netip.AddrPort
	// CgroupPath is the cgroup v2 directory the deny program is attached
	// to; empty means the root of the cgroup v2 mount.
	CgroupPath string
	// ProcRoot is where the host's /proc is mounted ("/proc" when empty).
	ProcRoot string
	// FailHooks are hooks (exec, file, ...) or attach points
	// (tp_btf/sys_enter, ...) to treat as unavailable without trying them,
	// to test and demonstrate degraded operation and the fallbacks.
	FailHooks []string
	// Log receives start-up messages (hook status); nil discards them.
	Log io.Writer
}

// HookStatus says whether a hook is running and how.
type HookStatus struct {
	Name   string
	Active bool
	// Program is the attach point in use, e.g. tp_btf/sched_process_exec.
	Program string
	// Reason explains an inactive hook, or why an active one runs on a
	// fallback program.
	Reason string
}

// Stats count what a sensor has seen.
type Stats struct {
	Events       map[string]uint64 // by source: process, file, network
	Lost         uint64            // records dropped in the kernel: ring buffer full
	Killed       uint64            // SIGKILLs sent by the kernel program
	Denied       uint64            // connects refused
	DecodeErrors uint64
}

// WatchPath is a path prefix whose opens the file hook reports.
type WatchPath struct {
	Prefix string
	// WritesOnly reports only opens that can modify the file.
	WritesOnly bool
}

// DefaultWatchPaths cover the default file rules: credential files read
// or written, and writes below /etc and the system binary directories.
var DefaultWatchPaths = []WatchPath{
	{Prefix: "/etc/shadow"}, {Prefix: "/etc/gshadow"}, {Prefix: "/etc/sudoers"},
	{Prefix: "/root/.ssh/"},
	{Prefix: "/etc/", WritesOnly: true},
	{Prefix: "/bin/", WritesOnly: true}, {Prefix: "/sbin/", WritesOnly: true},
	{Prefix: "/usr/bin/", WritesOnly: true}, {Prefix: "/usr/sbin/", WritesOnly: true},
	{Prefix: "/usr/local/bin/", WritesOnly: true},
}

// ParseWatchPath reads PREFIX or PREFIX:writes.
func ParseWatchPath(s string) (WatchPath, error) {
	w := WatchPath{Prefix: s}
	if p, ok := strings.CutSuffix(s, ":writes"); ok {
		w = WatchPath{Prefix: p, WritesOnly: true}
	}
	if !strings.HasPrefix(w.Prefix, "/") {
		return WatchPath{}, fmt.Errorf("watch path %q: must be absolute", s)
	}
	if len(w.Prefix) >= pathLen {
		return WatchPath{}, fmt.Errorf("watch path %q: longer than %d bytes", s, pathLen-1)
	}
	return w, nil
}
