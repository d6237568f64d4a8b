//go:build linux && (amd64 || arm64)

package sensor

import (
	"testing"
	"unsafe"
)

// TestEventLayout keeps event.go's offsets in step with the C struct, as
// bpf2go saw it.
func TestEventLayout(t *testing.T) {
	var e sensorEvent
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"type", unsafe.Offsetof(e.Type), offType}, {"pid", unsafe.Offsetof(e.Pid), offPID},
		{"ppid", unsafe.Offsetof(e.Ppid), offPPID}, {"uid", unsafe.Offsetof(e.Uid), offUID},
		{"cgroup_id", unsafe.Offsetof(e.CgroupId), offCgroupID}, {"mntns", unsafe.Offsetof(e.Mntns), offMntNS},
		{"time_ns", unsafe.Offsetof(e.TimeNs), offTimeNs}, {"flags", unsafe.Offsetof(e.Flags), offFlags},
		{"family", unsafe.Offsetof(e.Family), offFamily}, {"dport", unsafe.Offsetof(e.Dport), offDPort},
		{"daddr", unsafe.Offsetof(e.Daddr), offDAddr}, {"args_len", unsafe.Offsetof(e.ArgsLen), offArgsLen},
		{"comm", unsafe.Offsetof(e.Comm), offComm}, {"path", unsafe.Offsetof(e.Path), offPath},
		{"args", unsafe.Offsetof(e.Args), offArgs}, {"size", unsafe.Sizeof(e), eventSize},
		{"comm len", unsafe.Sizeof(e.Comm), commLen}, {"path len", unsafe.Sizeof(e.Path), pathLen},
		{"args len", unsafe.Sizeof(e.Args), argsLen},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: generated %d, event.go %d", c.name, c.got, c.want)
		}
	}
}
