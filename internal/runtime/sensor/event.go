package sensor

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Event types written by the BPF programs (EVENT_* in bpf/sensor.bpf.c).
const (
	typeExec          = 1
	typeOpen          = 2
	typeConnect       = 3
	typeConnectDenied = 4
)

// Layout of struct event in bpf/sensor.bpf.c; TestEventLayout checks it
// against the bpf2go-generated type.
const (
	offType     = 0
	offPID      = 4
	offPPID     = 8
	offUID      = 12
	offCgroupID = 16
	offMntNS    = 24
	offTimeNs   = 32
	offFlags    = 40
	offFamily   = 44
	offDPort    = 46
	offDAddr    = 48
	offArgsLen  = 64
	offComm     = 68
	offPath     = 84
	offArgs     = 340
	commLen     = 16
	pathLen     = 256
	argsLen     = 512
	eventSize   = offArgs + argsLen + 4
)

const (
	afInet  = 2
	afInet6 = 10
)

// rawEvent is one decoded ring buffer record.
type rawEvent struct {
	Type     uint32
	PID      uint32
	PPID     uint32
	UID      uint32
	CgroupID uint64
	MntNS    uint64
	TimeNs   uint64
	Flags    uint32
	DAddr    netip.Addr
	DPort    uint16
	Comm     string
	Path     string
	Argv     []string // as passed to execve, argv[0] first
}

// decodeEvent parses a record. The BPF programs write host byte order.
func decodeEvent(b []byte) (rawEvent, error) {
	if len(b) < eventSize {
		return rawEvent{}, fmt.Errorf("sensor event: %d bytes, want %d", len(b), eventSize)
	}
	le := binary.NativeEndian
	e := rawEvent{
		Type: le.Uint32(b[offType:]), PID: le.Uint32(b[offPID:]), PPID: le.Uint32(b[offPPID:]),
		UID: le.Uint32(b[offUID:]), CgroupID: le.Uint64(b[offCgroupID:]), MntNS: le.Uint64(b[offMntNS:]),
		TimeNs: le.Uint64(b[offTimeNs:]), Flags: le.Uint32(b[offFlags:]), DPort: le.Uint16(b[offDPort:]),
		Comm: cString(b[offComm : offComm+commLen]), Path: cString(b[offPath : offPath+pathLen]),
	}
	if e.Type < typeExec || e.Type > typeConnectDenied {
		return rawEvent{}, fmt.Errorf("sensor event: unknown type %d", e.Type)
	}
	switch le.Uint16(b[offFamily:]) {
	case afInet:
		e.DAddr = netip.AddrFrom4([4]byte(b[offDAddr : offDAddr+4]))
	case afInet6:
		e.DAddr = netip.AddrFrom16([16]byte(b[offDAddr : offDAddr+16])).Unmap()
	}
	if n := int(le.Uint32(b[offArgsLen:])); n > 0 {
		e.Argv = splitArgs(b[offArgs : offArgs+min(n, argsLen)])
	}
	return e, nil
}

// cString returns the bytes before the first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// splitArgs splits the NUL-separated argument area of a process. The last
// argument may be cut short by the kernel-side bound.
func splitArgs(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}
