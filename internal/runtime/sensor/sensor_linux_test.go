//go:build linux && (amd64 || arm64)

package sensor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/runtime/enrich"
)

// EnvRequireBPF turns the skip of the kernel tests (not root, no BPF)
// into a failure; .ci/run sets it.
const EnvRequireBPF = "KGUARD_REQUIRE_BPF"

// envConnect makes the test binary a helper that connects to an address.
const envConnect = "KGUARD_SENSOR_TEST_CONNECT"

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv(EnvRequireBPF) == "1" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format+" (set %s=1 to make this a failure)", append(args, EnvRequireBPF)...)
}

// TestMain mounts tracefs when it is missing and the tests run as root,
// so that the syscall tracepoints are tested too (node distributions
// mount it; a bare test VM may not).
func TestMain(m *testing.M) {
	mounted := false
	if os.Geteuid() == 0 && os.Getenv(envConnect) == "" && os.Getenv(envCaps) == "" {
		if _, err := os.Stat("/sys/kernel/tracing/events"); err != nil {
			mounted = syscall.Mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, "") == nil
		}
	}
	code := m.Run()
	if mounted {
		syscall.Unmount("/sys/kernel/tracing", 0)
	}
	os.Exit(code)
}

// envCaps makes the test binary a helper that starts a sensor with the
// options it names and prints the hooks' state.
const envCaps = "KGUARD_SENSOR_TEST_CAPS"

// TestHelperCapabilities is not a test: TestCapabilities runs the test
// binary with envCaps set under a reduced capability set.
func TestHelperCapabilities(t *testing.T) {
	mode := os.Getenv(envCaps)
	if mode == "" {
		t.Skip("helper process only")
	}
	rs, err := detect.LoadSources(detect.DefaultSources()...)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Rules: rs, OnAlert: func(detect.Alert, string) {}}
	if mode == "enforce" {
		opts.Enforce = true
		opts.DenyConnect = []netip.AddrPort{netip.MustParseAddrPort("192.0.2.1:81")}
	}
	s, err := New(opts)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer s.Close()
	for _, h := range s.Hooks() {
		fmt.Printf("hook %s %v %s\n", h.Name, h.Active, h.Reason)
	}
}

// TestCapabilities checks the capabilities `kguard sensor manifests`
// grants: BPF, PERFMON and SYS_RESOURCE run every event hook; the deny
// list needs NET_ADMIN too, and says so without it.
func TestCapabilities(t *testing.T) {
	if os.Geteuid() != 0 {
		skipOrFail(t, "needs root")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		skipOrFail(t, "setpriv (util-linux) not found")
	}
	self, _ := os.Executable()
	run := func(caps, mode string) string {
		t.Helper()
		cmd := exec.Command(setpriv, "--bounding-set=-all,"+caps, self, "-test.run=^TestHelperCapabilities$", "-test.v")
		cmd.Env = append(os.Environ(), envCaps+"="+mode)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper with %s: %v\n%s", caps, err, out)
		}
		return string(out)
	}
	minimal := "+bpf,+perfmon,+sys_resource"
	out := run(minimal, "plain")
	for _, h := range []string{HookExec, HookFile, HookNetwork} {
		if !strings.Contains(out, "hook "+h+" true") {
			t.Errorf("with %s the %s hook is not active:\n%s", minimal, h, out)
		}
	}
	out = run(minimal, "enforce")
	if !strings.Contains(out, "hook deny false") || !strings.Contains(out, "needs CAP_NET_ADMIN") {
		t.Errorf("without NET_ADMIN the deny hook should be inactive and say why:\n%s", out)
	}
	out = run(minimal+",+net_admin", "enforce")
	if !strings.Contains(out, "hook deny true") {
		t.Errorf("with NET_ADMIN the deny hook is not active:\n%s", out)
	}
}

// TestHelperConnect is not a test: the kernel tests run the test binary
// with envConnect set, in a cgroup, to make a TCP connection.
func TestHelperConnect(t *testing.T) {
	addr := os.Getenv(envConnect)
	if addr == "" {
		t.Skip("helper process only")
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, "connect:", err)
		if errors.Is(err, syscall.EPERM) {
			os.Exit(3)
		}
		os.Exit(2)
	}
	c.Close()
}

// testCgroup is a cgroup shaped like one the kubelet makes for a
// containerd container, so enrichment finds a container ID in its path.
type testCgroup struct {
	dir, top    string
	id          uint64
	containerID string
}

func newTestCgroup(t *testing.T) *testCgroup {
	t.Helper()
	root, err := enrich.FindCgroup2Mount()
	if err != nil {
		skipOrFail(t, "no cgroup v2 mount: %v", err)
	}
	rnd := make([]byte, 32)
	rand.Read(rnd)
	cid := hex.EncodeToString(rnd)
	uid := "0f6c2a4e_1d3b_4c5a_9e8f_" + cid[:12]
	top := filepath.Join(root, "kguard-test-"+cid[:8])
	dir := filepath.Join(top, "kubepods.slice", "kubepods-besteffort.slice",
		"kubepods-besteffort-pod"+uid+".slice", "cri-containerd-"+cid+".scope")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		skipOrFail(t, "make a cgroup: %v", err)
	}
	t.Cleanup(func() {
		for d := dir; len(d) >= len(top); d = filepath.Dir(d) {
			os.Remove(d)
		}
	})
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	return &testCgroup{dir: dir, top: top, id: st.Ino, containerID: cid}
}

// run starts argv inside the cgroup and waits for it.
func (cg *testCgroup) run(t *testing.T, env []string, argv ...string) (*os.ProcessState, error) {
	t.Helper()
	fd, err := syscall.Open(cg.dir, syscall.O_DIRECTORY|syscall.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	err = cmd.Run()
	return cmd.ProcessState, err
}

// attack runs a shell in the cgroup that reads /etc/shadow and then
// becomes a process connecting to the loopback port.
func (cg *testCgroup) attack(t *testing.T, port int) {
	t.Helper()
	self, _ := os.Executable()
	if _, err := cg.run(t, []string{envConnect + "=127.0.0.1:" + fmt.Sprint(port)},
		"/bin/sh", "-c", `cat /etc/shadow >/dev/null && exec "$0" -test.run='^TestHelperConnect$'`, self); err != nil {
		t.Fatalf("workload: %v", err)
	}
}

// hostMntNS is the mount namespace of the test process, which the
// workloads share.
func hostMntNS(t *testing.T) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/mnt", &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

type gotAlert struct {
	a      detect.Alert
	action string
	at     time.Time
}

// startSensor runs a sensor with the default rules plus extra, and
// returns the alerts of processes in cgroup.
func startSensor(t *testing.T, opts Options, cgroup uint64, extra string) (*Sensor, <-chan gotAlert) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "the sensor needs root")
	}
	srcs := detect.DefaultSources()
	if extra != "" {
		srcs = append(srcs, detect.Source{Name: "test.yaml", Data: []byte(extra)})
	}
	rs, err := detect.LoadSources(srcs...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := enrich.NewCgroupResolver(enrich.ResolverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan gotAlert, 256)
	opts.Rules = rs
	opts.Enrich = enrich.NewEnricher(res, nil).Enrich
	opts.OnAlert = func(a detect.Alert, action string) {
		if a.Event.Process != nil && a.Event.Process.CgroupID == cgroup {
			ch <- gotAlert{a, action, time.Now()}
		}
	}
	var log strings.Builder
	opts.Log = &log
	s, err := New(opts)
	if err != nil {
		skipOrFail(t, "start the sensor: %v", err)
	}
	t.Log(strings.TrimSpace(log.String()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		s.Close()
	})
	return s, ch
}

// collect gathers alerts until every wanted rule has fired or the wait
// after the workload ends runs out.
func collect(t *testing.T, ch <-chan gotAlert, want []string, wait time.Duration) map[string]gotAlert {
	t.Helper()
	got := map[string]gotAlert{}
	deadline := time.After(wait)
	for {
		missing := false
		for _, w := range want {
			if _, ok := got[w]; !ok {
				missing = true
			}
		}
		if !missing {
			return got
		}
		select {
		case a := <-ch:
			if _, dup := got[a.a.Rule]; !dup {
				got[a.a.Rule] = a
			}
		case <-deadline:
			return got
		}
	}
}

func listen(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln, ln.Addr().(*net.TCPAddr).Port
}

func connectRule(port int) string {
	return fmt.Sprintf(`- rule: test-loopback-connect
  desc: test rule
  source: network
  condition: network.daddr == '127.0.0.1' && network.dport == %d
  output: "{process.comm} connected to {network.daddr}:{network.dport}"
  severity: low
`, port)
}

// TestSensorAlerts runs a shell in a new container-shaped cgroup that
// reads /etc/shadow and makes a loopback connection, and expects the
// three alerts within a second of the workload's end, each with the
// cgroup's ID.
func TestSensorAlerts(t *testing.T) {
	cg := newTestCgroup(t)
	_, port := listen(t)
	s, ch := startSensor(t, Options{}, cg.id, connectRule(port))
	for _, h := range s.Hooks() {
		if h.Name != HookDeny && !h.Active {
			t.Errorf("hook %s inactive: %s", h.Name, h.Reason)
		}
		// Without enforcement the cheaper syscall tracepoints serve opens,
		// when tracefs is there (TestMain mounts it if it can).
		if h.Name == HookFile {
			want := pointOpenTracepoints
			if _, err := os.Stat("/sys/kernel/tracing/events/syscalls"); err != nil {
				want = pointSysEnterBTF
			}
			if h.Program != want {
				t.Errorf("file hook on %s, want %s (%s)", h.Program, want, h.Reason)
			}
		}
	}
	start := time.Now()
	cg.attack(t, port)
	ended := time.Now()
	want := []string{"shell-in-container", "read-shadow-file", "test-loopback-connect"}
	got := collect(t, ch, want, time.Second)
	for _, w := range want {
		a, ok := got[w]
		if !ok {
			t.Errorf("no %s alert within 1s of the workload's end", w)
			continue
		}
		p := a.a.Event.Process
		if p.CgroupID != cg.id || p.Container.ID != cg.containerID {
			t.Errorf("%s: cgroup %d container %q, want %d %q", w, p.CgroupID, p.Container.ID, cg.id, cg.containerID)
		}
		if p.MntNS != hostMntNS(t) {
			t.Errorf("%s: mount namespace %d, want the test's own %d", w, p.MntNS, hostMntNS(t))
		}
		if a.a.Time.Before(start.Add(-time.Second)) || a.a.Time.After(ended.Add(time.Second)) {
			t.Errorf("%s: event time %v outside the workload's run %v-%v", w, a.a.Time, start, ended)
		}
		t.Logf("%s: %q, %v after the event", w, a.a.Output, a.at.Sub(a.a.Time))
	}
	if a, ok := got["shell-in-container"]; ok && (a.a.Event.Process.Comm != "sh" || a.a.Event.Process.Exe != "/bin/sh") {
		t.Errorf("shell alert process %+v", a.a.Event.Process)
	}
	st := s.Stats()
	if st.Events[detect.SourceProcess] == 0 || st.Events[detect.SourceFile] == 0 || st.Events[detect.SourceNetwork] == 0 {
		t.Errorf("stats %+v: want events of every source", st)
	}
}

// TestSensorDegraded pretends the file hook failed: the sensor still
// starts, reports the hook inactive, and the other hooks still alert.
func TestSensorDegraded(t *testing.T) {
	cg := newTestCgroup(t)
	_, port := listen(t)
	s, ch := startSensor(t, Options{FailHooks: []string{HookFile}}, cg.id, connectRule(port))
	states := map[string]HookStatus{}
	for _, h := range s.Hooks() {
		states[h.Name] = h
	}
	if h := states[HookFile]; h.Active || !strings.Contains(h.Reason, "disabled") {
		t.Errorf("file hook %+v, want inactive and disabled", h)
	}
	if !states[HookExec].Active || !states[HookNetwork].Active {
		t.Errorf("hooks %+v: exec and network should be active", states)
	}
	cg.attack(t, port)
	// The ring buffer is ordered: once the connect alert is in, an open
	// alert would have arrived before it.
	got := collect(t, ch, []string{"shell-in-container", "test-loopback-connect"}, 5*time.Second)
	for _, w := range []string{"shell-in-container", "test-loopback-connect"} {
		if _, ok := got[w]; !ok {
			t.Errorf("no %s alert with the file hook off", w)
		}
	}
	if _, ok := got["read-shadow-file"]; ok {
		t.Error("read-shadow-file alert although the file hook is off")
	}
	if n := s.Stats().Events[detect.SourceFile]; n != 0 {
		t.Errorf("%d file events with the file hook off", n)
	}
}

// TestSensorRawTracepoints turns the tp_btf programs off: every hook
// falls back to its raw tracepoint twin, which must alert the same way.
func TestSensorRawTracepoints(t *testing.T) {
	cg := newTestCgroup(t)
	_, port := listen(t)
	off := []string{"tp_btf/sched_process_exec", pointOpenTracepoints, pointSysEnterBTF, "tp_btf/inet_sock_set_state"}
	s, ch := startSensor(t, Options{FailHooks: off}, cg.id, connectRule(port))
	for _, h := range s.Hooks() {
		if h.Name != HookDeny && (!h.Active || !strings.HasPrefix(h.Program, "raw_tracepoint/")) {
			t.Errorf("hook %+v, want active on its raw tracepoint", h)
		}
	}
	cg.attack(t, port)
	want := []string{"shell-in-container", "read-shadow-file", "test-loopback-connect"}
	got := collect(t, ch, want, 5*time.Second)
	for _, w := range want {
		if a, ok := got[w]; !ok || a.a.Event.Process.CgroupID != cg.id {
			t.Errorf("no %s alert from the cgroup on raw tracepoints", w)
		}
	}
}

// TestSensorKill: under enforcement a process matching a kill rule is
// killed: by the kernel program when it keeps making system calls (yes
// writing), from user space when it is blocked in one (sleep).
func TestSensorKill(t *testing.T) {
	cg := newTestCgroup(t)
	rule := `- rule: test-kill
  desc: test rule
  source: process
  condition: process.comm in ['sleep', 'yes'] && process.args.exists(a, a.startsWith('31.4159'))
  output: "kill {process.cmdline}"
  severity: high
  action: kill
`
	s, ch := startSensor(t, Options{Enforce: true}, cg.id, rule)
	for _, h := range s.Hooks() {
		if h.Name == HookFile && h.Program != pointSysEnterBTF {
			t.Errorf("file hook on %s under enforcement, want %s (kills at any system call)", h.Program, pointSysEnterBTF)
		}
	}
	for _, argv := range [][]string{{"/usr/bin/yes", "31.4159-kernel"}, {"/bin/sleep", "31.4159"}} {
		killedBefore := s.Stats().Killed
		ps, err := cg.run(t, nil, argv...)
		ws, ok := ps.Sys().(syscall.WaitStatus)
		if err == nil || !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("%s ended with %v (%v), want killed by SIGKILL", argv[0], ps, err)
		}
		got := collect(t, ch, []string{"test-kill"}, 5*time.Second)
		if a, ok := got["test-kill"]; !ok || a.action != "kill" {
			t.Errorf("%s: alert %+v, want test-kill with action kill", argv[0], a)
		}
		if argv[0] == "/usr/bin/yes" && s.Stats().Killed == killedBefore {
			t.Errorf("yes was not killed by the kernel program: stats %+v", s.Stats())
		}
	}
}

// TestSensorDenyConnect: under enforcement cgroup/connect4 refuses a
// connect on the deny list, only in the cgroup it is attached to.
func TestSensorDenyConnect(t *testing.T) {
	cg := newTestCgroup(t)
	_, port := listen(t)
	deny := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	s, ch := startSensor(t, Options{Enforce: true, DenyConnect: []netip.AddrPort{deny}, CgroupPath: cg.top}, cg.id, "")
	for _, h := range s.Hooks() {
		if h.Name == HookDeny && !h.Active {
			t.Fatalf("deny hook inactive: %s", h.Reason)
		}
	}
	self, _ := os.Executable()
	ps, _ := cg.run(t, []string{envConnect + "=" + deny.String()}, self, "-test.run=^TestHelperConnect$")
	if ps.ExitCode() != 3 {
		t.Errorf("helper exit code %d, want 3 (EPERM)", ps.ExitCode())
	}
	// Outside the cgroup the same connect works.
	c, err := net.DialTimeout("tcp", deny.String(), 5*time.Second)
	if err != nil {
		t.Errorf("connect outside the cgroup: %v", err)
	} else {
		c.Close()
	}
	got := collect(t, ch, []string{ConnectDeniedRule}, 5*time.Second)
	if a, ok := got[ConnectDeniedRule]; !ok || a.a.Event.Network.DPort != port || a.action != "denied" {
		t.Errorf("alert %+v, want %s for port %d", a, ConnectDeniedRule, port)
	}
}
