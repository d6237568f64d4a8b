//go:build linux && (amd64 || arm64)

package sensor

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/runtime/enrich"
)

// Watch map values (WATCH_* in bpf/sensor.bpf.c).
const (
	watchAny    = 1
	watchWrites = 2
)

// Kernel counters (STAT_* in bpf/sensor.bpf.c).
const (
	statLost   = 0
	statKilled = 1
	statDenied = 2
)

// pollInterval bounds how long an event waits in the ring buffer: the
// programs wake the reader only when a backlog builds (see submit in
// bpf/sensor.bpf.c).
const pollInterval = 20 * time.Millisecond

// ConnectDeniedRule is the alert raised when the deny list refuses a
// connect.
const ConnectDeniedRule = "sensor-connect-denied"

// candidate is one way to run a hook: a program and how to attach it.
type candidate struct {
	prog   string
	point  string
	attach func(p *ebpf.Program, o *Options) ([]link.Link, error)
}

func one(l link.Link, err error) ([]link.Link, error) {
	if err != nil {
		return nil, err
	}
	return []link.Link{l}, nil
}

func tpBTF(p *ebpf.Program, _ *Options) ([]link.Link, error) {
	return one(link.AttachTracing(link.TracingOptions{Program: p, AttachType: ebpf.AttachTraceRawTp}))
}

func rawTP(name string) func(*ebpf.Program, *Options) ([]link.Link, error) {
	return func(p *ebpf.Program, _ *Options) ([]link.Link, error) {
		return one(link.AttachRawTracepoint(link.RawTracepointOptions{Name: name, Program: p}))
	}
}

// openTracepoints attaches to the openat tracepoint (required) and the
// openat2 one (when the kernel has it). Needs tracefs.
func openTracepoints(p *ebpf.Program, _ *Options) ([]link.Link, error) {
	l, err := link.Tracepoint("syscalls", "sys_enter_openat", p, nil)
	if err != nil {
		return nil, err
	}
	links := []link.Link{l}
	if l2, err := link.Tracepoint("syscalls", "sys_enter_openat2", p, nil); err == nil {
		links = append(links, l2)
	}
	return links, nil
}

func cgroupConnect4(p *ebpf.Program, o *Options) ([]link.Link, error) {
	path := o.CgroupPath
	if path == "" {
		var err error
		if path, err = enrich.FindCgroup2Mount(); err != nil {
			return nil, err
		}
	}
	return one(link.AttachCgroup(link.CgroupOptions{Path: path, Attach: ebpf.AttachCGroupInet4Connect, Program: p}))
}

// Attach points of the file hook. The syscall tracepoints run a program
// for opens only; sys_enter runs one for every system call (measurably
// dearer, see docs/performance.md) but is the only place to kill a flagged
// process at its next system call, so enforcement prefers it.
const (
	pointOpenTracepoints = "tracepoint/syscalls/sys_enter_openat"
	pointSysEnterBTF     = "tp_btf/sys_enter"
	pointSysEnterRaw     = "raw_tracepoint/sys_enter"
)

// hook is one kind of event and the programs that can report it, in order
// of preference.
type hook struct {
	name       string
	candidates []candidate
}

// hooks lists every hook. The file hook prefers the syscall tracepoints,
// except under enforcement.
func hooks(enforce bool) []hook {
	openTP := candidate{sensorProgOpenTp, pointOpenTracepoints, openTracepoints}
	file := []candidate{
		{sensorProgSysEnterBtf, pointSysEnterBTF, tpBTF},
		{sensorProgSysEnterRaw, pointSysEnterRaw, rawTP("sys_enter")},
	}
	if enforce {
		file = append(file, openTP)
	} else {
		file = append([]candidate{openTP}, file...)
	}
	return []hook{
		{HookExec, []candidate{
			{sensorProgExecBtf, "tp_btf/sched_process_exec", tpBTF},
			{sensorProgExecRaw, "raw_tracepoint/sched_process_exec", rawTP("sched_process_exec")},
		}},
		{HookFile, file},
		{HookNetwork, []candidate{
			{sensorProgSockStateBtf, "tp_btf/inet_sock_set_state", tpBTF},
			{sensorProgSockStateRaw, "raw_tracepoint/inet_sock_set_state", rawTP("inet_sock_set_state")},
		}},
		{HookDeny, []candidate{
			{sensorProgConnect4, "cgroup/connect4", cgroupConnect4},
		}},
	}
}

// Sensor runs the BPF programs and turns their events into alerts.
type Sensor struct {
	opts  Options
	maps  sensorMaps
	progs []*ebpf.Program
	links []link.Link
	// killInKernel: the file hook runs on sys_enter, where flagged
	// processes are killed.
	killInKernel bool
	status       []HookStatus
	reader       *ringbuf.Reader
	conv         converter

	events       [typeConnectDenied + 1]atomic.Uint64
	decodeErrors atomic.Uint64
	closeOnce    sync.Once
}

// New loads the programs, attaches every hook it can and reports the
// result on Options.Log. It fails when no event hook can run: without
// kernel BTF, without privileges (CAP_BPF and CAP_PERFMON, or root), or
// when every hook is unavailable.
func New(opts Options) (*Sensor, error) {
	if opts.Rules == nil || opts.OnAlert == nil {
		return nil, errors.New("sensor: Rules and OnAlert are required")
	}
	if opts.Watch == nil {
		opts.Watch = DefaultWatchPaths
	}
	if opts.ProcRoot == "" {
		opts.ProcRoot = "/proc"
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if _, err := btf.LoadKernelSpec(); err != nil {
		return nil, fmt.Errorf("sensor: kernel BTF is not available (%v): the sensor needs a kernel built with CONFIG_DEBUG_INFO_BTF, which exposes /sys/kernel/btf/vmlinux", err)
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, privilegeError(fmt.Errorf("raise RLIMIT_MEMLOCK: %w", err))
	}
	spec, err := loadSensor()
	if err != nil {
		return nil, fmt.Errorf("sensor: %w", err)
	}
	if err := spec.Variables[sensorVarSelfTgid].Set(uint32(os.Getpid())); err != nil {
		return nil, fmt.Errorf("sensor: %w", err)
	}
	if err := spec.Variables[sensorVarEnforce].Set(opts.Enforce); err != nil {
		return nil, fmt.Errorf("sensor: %w", err)
	}
	s := &Sensor{opts: opts}
	if err := spec.LoadAndAssign(&s.maps, nil); err != nil {
		return nil, privilegeError(fmt.Errorf("load maps: %w", err))
	}
	if err := s.fillMaps(); err != nil {
		s.Close()
		return nil, err
	}
	s.attachAll(spec)
	active := 0
	for _, h := range s.status {
		if h.Active && h.Name != HookDeny {
			active++
		}
	}
	if active == 0 {
		reasons := make([]string, 0, len(s.status))
		for _, h := range s.status {
			reasons = append(reasons, h.Name+": "+h.Reason)
		}
		s.Close()
		return nil, fmt.Errorf("sensor: no hook could be attached (%s)", strings.Join(reasons, "; "))
	}
	if s.reader, err = ringbuf.NewReader(s.maps.Events); err != nil {
		s.Close()
		return nil, fmt.Errorf("sensor: ring buffer: %w", err)
	}
	s.conv = converter{procs: newProcTable(1 << 16), procRoot: opts.ProcRoot, enrich: opts.Enrich, bootWall: bootWall()}
	return s, nil
}

// privilegeError adds the likely cause to a permission error.
func privilegeError(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("sensor: %w (run as root, or with the capabilities BPF, PERFMON and SYS_RESOURCE)", err)
	}
	return fmt.Errorf("sensor: %w", err)
}

func (s *Sensor) fillMaps() error {
	for _, w := range s.opts.Watch {
		var k sensorWatchKey
		if len(w.Prefix) >= len(k.Path) {
			return fmt.Errorf("sensor: watch path %q is longer than %d bytes", w.Prefix, len(k.Path)-1)
		}
		k.Prefixlen = uint32(8 * len(w.Prefix))
		for i := range len(w.Prefix) {
			k.Path[i] = int8(w.Prefix[i])
		}
		v := uint32(watchAny)
		if w.WritesOnly {
			v = watchWrites
		}
		if err := s.maps.WatchPaths.Put(&k, &v); err != nil {
			return fmt.Errorf("sensor: watch path %q: %w", w.Prefix, err)
		}
	}
	for _, ap := range s.opts.DenyConnect {
		if !ap.Addr().Is4() {
			return fmt.Errorf("sensor: deny %s: only IPv4 is supported", ap)
		}
		a := ap.Addr().As4()
		k := sensorDenyKey{Addr: binary.NativeEndian.Uint32(a[:]), Port: uint32(ap.Port())}
		one := uint32(1)
		if err := s.maps.DenyConnect4.Put(&k, &one); err != nil {
			return fmt.Errorf("sensor: deny %s: %w", ap, err)
		}
	}
	return nil
}

// attachAll loads and attaches each hook's first working candidate. Each
// program is loaded on its own so that one the kernel refuses leaves the
// others running; they share the maps loaded before.
func (s *Sensor) attachAll(spec *ebpf.CollectionSpec) {
	repl := map[string]*ebpf.Map{
		sensorMapEvents: s.maps.Events, sensorMapWatchPaths: s.maps.WatchPaths, sensorMapScratch: s.maps.Scratch,
		sensorMapKillTgids: s.maps.KillTgids, sensorMapDenyConnect4: s.maps.DenyConnect4, sensorMapStats: s.maps.Stats,
	}
	for _, h := range hooks(s.opts.Enforce) {
		st := HookStatus{Name: h.name}
		switch {
		case slices.Contains(s.opts.FailHooks, h.name):
			st.Reason = "disabled (--fail-hook)"
		case h.name == HookDeny && (!s.opts.Enforce || len(s.opts.DenyConnect) == 0):
			st.Reason = "not requested (needs --enforce and a deny list)"
		default:
			var reasons []string
			for _, c := range h.candidates {
				if slices.Contains(s.opts.FailHooks, c.point) {
					reasons = append(reasons, c.point+": disabled (--fail-hook)")
					continue
				}
				ls, p, err := loadAttach(spec, c, repl, &s.opts)
				if err != nil {
					// The library's MEMLOCK hint does not apply: the limit
					// was lifted above, so EPERM means a capability.
					msg := strings.Replace(err.Error(), " (MEMLOCK may be too low, consider rlimit.RemoveMemlock)", "", 1)
					reasons = append(reasons, c.point+": "+msg+needs(c, err))
					continue
				}
				s.links, s.progs = append(s.links, ls...), append(s.progs, p)
				st.Active, st.Program = true, c.point
				s.killInKernel = s.killInKernel || c.point == pointSysEnterBTF || c.point == pointSysEnterRaw
				break
			}
			st.Reason = strings.Join(reasons, "; ")
		}
		s.status = append(s.status, st)
		switch {
		case st.Active && st.Reason != "":
			fmt.Fprintf(s.opts.Log, "kguard sensor: hook %-8s active   %s (fallback; %s)\n", h.name, st.Program, st.Reason)
		case st.Active:
			fmt.Fprintf(s.opts.Log, "kguard sensor: hook %-8s active   %s\n", h.name, st.Program)
		default:
			fmt.Fprintf(s.opts.Log, "kguard sensor: hook %-8s INACTIVE %s\n", h.name, st.Reason)
		}
	}
}

func loadAttach(spec *ebpf.CollectionSpec, c candidate, repl map[string]*ebpf.Map, o *Options) ([]link.Link, *ebpf.Program, error) {
	one := &ebpf.CollectionSpec{Maps: spec.Maps, Programs: map[string]*ebpf.ProgramSpec{c.prog: spec.Programs[c.prog]},
		Variables: spec.Variables, Types: spec.Types, ByteOrder: spec.ByteOrder}
	coll, err := ebpf.NewCollectionWithOptions(one, ebpf.CollectionOptions{MapReplacements: repl})
	if err != nil {
		return nil, nil, shortError(err)
	}
	p := coll.DetachProgram(c.prog)
	coll.Close()
	ls, err := c.attach(p, o)
	if err != nil {
		p.Close()
		return nil, nil, shortError(err)
	}
	return ls, p, nil
}

// needs names the capability a program was refused for lack of.
func needs(c candidate, err error) string {
	if !errors.Is(err, unix.EPERM) {
		return ""
	}
	if c.prog == sensorProgConnect4 {
		return " (needs CAP_NET_ADMIN besides CAP_BPF)"
	}
	return " (needs CAP_BPF and CAP_PERFMON)"
}

// shortError keeps the verifier's last lines, not its whole log.
func shortError(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) && len(ve.Log) > 3 {
		return fmt.Errorf("verifier: %s", strings.Join(ve.Log[len(ve.Log)-3:], " | "))
	}
	return err
}

// bootWall is the wall-clock time at CLOCK_MONOTONIC zero.
func bootWall() time.Time {
	var ts unix.Timespec
	now := time.Now()
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return now
	}
	return now.Add(-time.Duration(ts.Nano()))
}

// Hooks reports each hook's state.
func (s *Sensor) Hooks() []HookStatus { return slices.Clone(s.status) }

// Run reads events until ctx ends, evaluates the rules and calls OnAlert.
// It returns nil when ctx ends.
func (s *Sensor) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { s.reader.Close() })
	defer stop()
	var rec ringbuf.Record
	s.reader.SetDeadline(time.Now().Add(pollInterval))
	for {
		if err := s.reader.ReadInto(&rec); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// The programs mostly submit without a wakeup: poll.
				s.reader.SetDeadline(time.Now().Add(pollInterval))
				continue
			}
			if errors.Is(err, ringbuf.ErrClosed) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("sensor: read events: %w", err)
		}
		raw, err := decodeEvent(rec.RawSample)
		if err != nil {
			s.decodeErrors.Add(1)
			continue
		}
		s.handle(&raw)
	}
}

func (s *Sensor) handle(raw *rawEvent) {
	s.events[raw.Type].Add(1)
	ev := s.conv.event(raw)
	if s.opts.OnEvent != nil {
		s.opts.OnEvent(ev)
	}
	if raw.Type == typeConnectDenied {
		s.opts.OnAlert(detect.Alert{
			Rule: ConnectDeniedRule, Severity: finding.SeverityMedium, Action: "deny",
			Output: fmt.Sprintf("%s connect to %s:%d denied by the deny list", ev.Process.Comm, ev.Network.DAddr, ev.Network.DPort),
			Tags:   []string{"network", "enforcement"}, Time: ev.Time, Source: ev.Source, Event: ev,
		}, "denied")
		return
	}
	for _, a := range s.opts.Rules.Evaluate(ev) {
		action := ""
		if a.Action == detect.ActionKill && s.opts.Enforce {
			action = s.kill(raw.PID)
		}
		s.opts.OnAlert(a, action)
	}
}

// kill flags pid for the kernel program, which sends SIGKILL at the
// process's next system call. A process blocked in a system call
// (sleeping, reading) makes none: if the flag is still there after
// killGrace, the signal is sent from here.
func (s *Sensor) kill(pid uint32) string {
	one := uint32(1)
	if !s.killInKernel || s.maps.KillTgids.Put(&pid, &one) != nil {
		if unix.Kill(int(pid), unix.SIGKILL) != nil {
			return "kill_failed"
		}
		return "kill"
	}
	time.AfterFunc(killGrace, func() {
		var v uint32
		if s.maps.KillTgids.Lookup(&pid, &v) == nil {
			s.maps.KillTgids.Delete(&pid)
			unix.Kill(int(pid), unix.SIGKILL)
		}
	})
	return "kill"
}

// killGrace is how long a flagged process has to make a system call
// before it is signalled from user space.
const killGrace = 10 * time.Millisecond

// Stats returns the counts so far.
func (s *Sensor) Stats() Stats {
	st := Stats{Events: map[string]uint64{
		detect.SourceProcess: s.events[typeExec].Load(),
		detect.SourceFile:    s.events[typeOpen].Load(),
		detect.SourceNetwork: s.events[typeConnect].Load() + s.events[typeConnectDenied].Load(),
	}, DecodeErrors: s.decodeErrors.Load()}
	if s.maps.Stats != nil {
		st.Lost, st.Killed, st.Denied = s.kernelStat(statLost), s.kernelStat(statKilled), s.kernelStat(statDenied)
	}
	return st
}

func (s *Sensor) kernelStat(key uint32) uint64 {
	var per []uint64
	if err := s.maps.Stats.Lookup(&key, &per); err != nil {
		return 0
	}
	var n uint64
	for _, v := range per {
		n += v
	}
	return n
}

// Close detaches the programs and frees the maps.
func (s *Sensor) Close() error {
	s.closeOnce.Do(func() {
		if s.reader != nil {
			s.reader.Close()
		}
		for _, l := range s.links {
			l.Close()
		}
		for _, p := range s.progs {
			p.Close()
		}
		s.maps.Close()
	})
	return nil
}
