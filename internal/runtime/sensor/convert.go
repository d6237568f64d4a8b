package sensor

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/rules/secrets"
)

// procInfo is what an exec told us about a process; file and network
// events of the same process reuse it.
type procInfo struct {
	comm, exe string
	args      []string
}

// procTable remembers recent execs by PID. It is bounded: when full it is
// emptied (the entries are a cache; misses fall back to /proc).
type procTable struct {
	mu   sync.Mutex
	max  int
	byID map[uint32]procInfo
}

func newProcTable(max int) *procTable {
	return &procTable{max: max, byID: make(map[uint32]procInfo)}
}

func (t *procTable) put(pid uint32, p procInfo) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byID) >= t.max {
		clear(t.byID)
	}
	t.byID[pid] = p
}

func (t *procTable) get(pid uint32) (procInfo, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.byID[pid]
	return p, ok
}

// converter turns raw events into detect events.
type converter struct {
	procs    *procTable
	procRoot string // where the host's /proc is mounted
	enrich   func(cgroupID uint64) detect.Container
	// bootWall is the wall-clock time at monotonic zero: the BPF
	// timestamps are CLOCK_MONOTONIC nanoseconds.
	bootWall time.Time
}

func (c *converter) process(e *rawEvent) *detect.Process {
	p := &detect.Process{PID: int(e.PID), PPID: int(e.PPID), UID: int(e.UID), Comm: e.Comm, CgroupID: e.CgroupID, MntNS: e.MntNS}
	if e.Type == typeExec {
		p.Exe = e.Path
		if len(e.Argv) > 1 {
			p.Args = secrets.RedactArgs(e.Argv[1:])
		}
		c.procs.put(e.PID, procInfo{comm: e.Comm, exe: p.Exe, args: p.Args})
	} else if info, ok := c.procs.get(e.PID); ok && info.comm == e.Comm {
		p.Exe, p.Args = info.exe, info.args
	} else if e.Type != typeConnectDenied {
		// Once per process: its next events find it in the table.
		p.Exe, p.Args = c.fromProc(e.PID)
		c.procs.put(e.PID, procInfo{comm: e.Comm, exe: p.Exe, args: p.Args})
	}
	if c.enrich != nil && e.CgroupID != 0 {
		p.Container = c.enrich(e.CgroupID)
	}
	return p
}

// fromProc reads the executable and arguments of a process that started
// before the sensor (best effort: it may have exited).
func (c *converter) fromProc(pid uint32) (string, []string) {
	dir := filepath.Join(c.procRoot, strconv.FormatUint(uint64(pid), 10))
	exe, _ := os.Readlink(filepath.Join(dir, "exe"))
	b, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil || len(b) == 0 {
		return exe, nil
	}
	if len(b) > argsLen {
		b = b[:argsLen]
	}
	argv := splitArgs(b)
	if len(argv) > 1 {
		return exe, secrets.RedactArgs(argv[1:])
	}
	return exe, nil
}

func (c *converter) event(e *rawEvent) detect.Event {
	ev := detect.Event{Time: c.bootWall.Add(time.Duration(e.TimeNs)), Process: c.process(e)}
	switch e.Type {
	case typeExec:
		ev.Source = detect.SourceProcess
	case typeOpen:
		ev.Source = detect.SourceFile
		ev.File = &detect.File{Path: e.Path, Flags: int(e.Flags)}
	case typeConnect, typeConnectDenied:
		ev.Source = detect.SourceNetwork
		ev.Network = &detect.Network{DAddr: e.DAddr.String(), DPort: int(e.DPort), Proto: "tcp"}
	}
	return ev
}
