package sensor

import (
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/detect"
)

// record builds a ring buffer record the way the BPF program lays it out.
func record(typ, pid uint32, cgroup uint64, comm, path string, argv []string, family uint16, daddr []byte, dport uint16) []byte {
	b := make([]byte, eventSize)
	ne := binary.NativeEndian
	ne.PutUint32(b[offType:], typ)
	ne.PutUint32(b[offPID:], pid)
	ne.PutUint32(b[offPPID:], 1)
	ne.PutUint32(b[offUID:], 1000)
	ne.PutUint64(b[offCgroupID:], cgroup)
	ne.PutUint64(b[offTimeNs:], uint64(5*time.Second))
	ne.PutUint32(b[offFlags:], 0o101)
	ne.PutUint16(b[offFamily:], family)
	ne.PutUint16(b[offDPort:], dport)
	copy(b[offDAddr:offDAddr+16], daddr)
	copy(b[offComm:offComm+commLen-1], comm)
	copy(b[offPath:offPath+pathLen-1], path)
	n := 0
	for _, a := range argv {
		n += copy(b[offArgs+n:offArgs+argsLen], a+"\x00")
	}
	ne.PutUint32(b[offArgsLen:], uint32(n))
	return b
}

func TestDecodeEvent(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::1").As16()
	mapped := netip.MustParseAddr("::ffff:10.0.0.9").As16()
	tests := []struct {
		name     string
		in       []byte
		wantErr  bool
		wantPath string
		wantArgv []string
		wantAddr string
	}{
		{name: "exec", in: record(typeExec, 42, 7, "sh", "/bin/sh", []string{"sh", "-c", "id"}, 0, nil, 0),
			wantPath: "/bin/sh", wantArgv: []string{"sh", "-c", "id"}},
		{name: "open", in: record(typeOpen, 42, 7, "cat", "/etc/shadow", nil, 0, nil, 0), wantPath: "/etc/shadow"},
		{name: "connect v4", in: record(typeConnect, 42, 7, "curl", "", nil, afInet, []byte{169, 254, 169, 254}, 80),
			wantAddr: "169.254.169.254"},
		{name: "connect v6", in: record(typeConnect, 42, 7, "curl", "", nil, afInet6, v6[:], 443), wantAddr: "2001:db8::1"},
		{name: "connect v4-mapped v6", in: record(typeConnect, 42, 7, "curl", "", nil, afInet6, mapped[:], 443), wantAddr: "10.0.0.9"},
		{name: "short record", in: make([]byte, eventSize-1), wantErr: true},
		{name: "unknown type", in: record(9, 42, 7, "x", "", nil, 0, nil, 0), wantErr: true},
		{name: "zero type", in: make([]byte, eventSize), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := decodeEvent(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("decoded %+v, want an error", e)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.PID != 42 || e.CgroupID != 7 || e.UID != 1000 || e.PPID != 1 {
				t.Errorf("header %+v", e)
			}
			if e.Path != tc.wantPath || !slices.Equal(e.Argv, tc.wantArgv) {
				t.Errorf("path %q argv %q, want %q %q", e.Path, e.Argv, tc.wantPath, tc.wantArgv)
			}
			if got := ""; e.DAddr.IsValid() {
				got = e.DAddr.String()
				if got != tc.wantAddr {
					t.Errorf("daddr %s, want %s", got, tc.wantAddr)
				}
			} else if tc.wantAddr != "" {
				t.Errorf("no daddr, want %s", tc.wantAddr)
			}
		})
	}
}

func TestSplitArgsBounded(t *testing.T) {
	// The kernel copies at most argsLen-1 bytes: the last argument is cut.
	long := make([]byte, argsLen-1)
	for i := range long {
		long[i] = 'a'
	}
	copy(long, "sh\x00-c\x00")
	got := splitArgs(long)
	if len(got) != 3 || got[0] != "sh" || got[1] != "-c" || len(got[2]) != argsLen-1-6 {
		t.Errorf("got %d args %q...", len(got), got[:min(2, len(got))])
	}
	if splitArgs([]byte{0, 0}) != nil {
		t.Error("empty argument area gave arguments")
	}
}

func TestConverter(t *testing.T) {
	enriched := 0
	c := converter{procs: newProcTable(2), procRoot: t.TempDir(), bootWall: time.Unix(1000, 0),
		enrich: func(id uint64) detect.Container {
			enriched++
			return detect.Container{ID: "abc", Pod: "web-0", Namespace: "shop"}
		}}
	exec, _ := decodeEvent(record(typeExec, 10, 5, "sh", "/bin/sh", []string{"sh", "-c", "cat /etc/shadow"}, 0, nil, 0))
	ev := c.event(&exec)
	if ev.Source != detect.SourceProcess || ev.Process.Exe != "/bin/sh" || !slices.Equal(ev.Process.Args, []string{"-c", "cat /etc/shadow"}) {
		t.Errorf("exec event %+v %+v", ev, ev.Process)
	}
	if !ev.Time.Equal(time.Unix(1005, 0)) {
		t.Errorf("time %v, want boot wall time + 5s", ev.Time)
	}
	if ev.Process.Container.Pod != "web-0" || ev.Process.CgroupID != 5 {
		t.Errorf("container %+v cgroup %d", ev.Process.Container, ev.Process.CgroupID)
	}
	// An open by the same process carries what the exec said.
	open, _ := decodeEvent(record(typeOpen, 10, 5, "sh", "/etc/shadow", nil, 0, nil, 0))
	ev = c.event(&open)
	if ev.Source != detect.SourceFile || ev.File.Path != "/etc/shadow" || ev.Process.Exe != "/bin/sh" || len(ev.Process.Args) != 2 {
		t.Errorf("open event %+v %+v", ev.File, ev.Process)
	}
	// After another exec in the same PID (comm changed) the old arguments
	// must not be reused.
	open2, _ := decodeEvent(record(typeOpen, 10, 5, "cat", "/etc/shadow", nil, 0, nil, 0))
	if ev = c.event(&open2); ev.Process.Exe != "" || ev.Process.Args != nil {
		t.Errorf("stale process info reused: %+v", ev.Process)
	}
	conn, _ := decodeEvent(record(typeConnect, 11, 0, "curl", "", nil, afInet, []byte{10, 1, 2, 3}, 6443))
	ev = c.event(&conn)
	if ev.Source != detect.SourceNetwork || ev.Network.DAddr != "10.1.2.3" || ev.Network.DPort != 6443 || ev.Network.Proto != "tcp" {
		t.Errorf("network event %+v", ev.Network)
	}
	if enriched != 3 {
		t.Errorf("enrich called %d times, want 3 (not for cgroup 0)", enriched)
	}
	// Credentials on a command line never reach rules or alerts.
	mysql, _ := decodeEvent(record(typeExec, 12, 5, "mysql", "/usr/bin/mysql", []string{"mysql", "--password=hunter2", "-h", "db"}, 0, nil, 0))
	if ev = c.event(&mysql); !slices.Equal(ev.Process.Args, []string{"--password=[REDACTED]", "-h", "db"}) {
		t.Errorf("args %q, want the password redacted", ev.Process.Args)
	}
	// A process that started before the sensor is read from /proc once.
	procDir := filepath.Join(c.procRoot, "77")
	os.MkdirAll(procDir, 0o755)
	os.WriteFile(filepath.Join(procDir, "cmdline"), []byte("nginx\x00-g\x00daemon off;\x00"), 0o644)
	old, _ := decodeEvent(record(typeConnect, 77, 5, "nginx", "", nil, afInet, []byte{10, 0, 0, 1}, 80))
	if ev = c.event(&old); !slices.Equal(ev.Process.Args, []string{"-g", "daemon off;"}) {
		t.Errorf("args from /proc %q", ev.Process.Args)
	}
	os.RemoveAll(procDir)
	if ev = c.event(&old); !slices.Equal(ev.Process.Args, []string{"-g", "daemon off;"}) {
		t.Errorf("second event of the process: args %q, want them remembered", ev.Process.Args)
	}
	// The table is bounded.
	for pid := uint32(100); pid < 110; pid++ {
		c.procs.put(pid, procInfo{comm: "x"})
	}
	if n := len(c.procs.byID); n > 2 {
		t.Errorf("process table holds %d entries, bound is 2", n)
	}
}

func TestParseWatchPath(t *testing.T) {
	tests := []struct {
		in      string
		want    WatchPath
		wantErr bool
	}{
		{in: "/etc/shadow", want: WatchPath{Prefix: "/etc/shadow"}},
		{in: "/etc/:writes", want: WatchPath{Prefix: "/etc/", WritesOnly: true}},
		{in: "etc/", wantErr: true},
		{in: "/" + string(make([]byte, pathLen)), wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseWatchPath(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseWatchPath(%.20q) = %+v, %v", tc.in, got, err)
		}
	}
}
