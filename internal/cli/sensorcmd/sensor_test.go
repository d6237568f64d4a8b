package sensorcmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/testutil/syncbuf"
)

func TestSensorFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"deny without enforce", []string{"--deny-connect", "10.0.0.1:80"}, "--deny-connect needs --enforce"},
		{"deny not addr:port", []string{"--enforce", "--deny-connect", "metadata"}, `--deny-connect "metadata": want IPv4ADDR:PORT`},
		{"deny IPv6", []string{"--enforce", "--deny-connect", "[::1]:80"}, "want IPv4ADDR:PORT"},
		{"relative watch path", []string{"--watch-path", "etc/"}, "--watch-path: watch path \"etc/\": must be absolute"},
		{"negative rate", []string{"--rate", "-1"}, "--rate must be 0"},
		{"missing rules file", []string{"--rules", "no-such.yaml"}, "rules: open no-such.yaml"},
		{"bad webhook format", []string{"--alert-webhook", "https://x.example/h", "--alert-webhook-format", "xml"}, "xml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := clitest.Run(t, NewCmd, tc.args...)
			if code != cmdutil.ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, cmdutil.ExitUsage, tc.want)
			}
		})
	}
}

// TestSensorCommand runs `kguard sensor` for real (root and BPF): a
// process matching a --rules rule gives an ECS alert in the -o file, and
// the summary counts it.
func TestSensorCommand(t *testing.T) {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		if os.Getenv("KGUARD_REQUIRE_BPF") == "1" {
			t.Fatal("the sensor needs Linux and root")
		}
		t.Skip("the sensor needs Linux and root (set KGUARD_REQUIRE_BPF=1 to make this a failure)")
	}
	dir := t.TempDir()
	rules := filepath.Join(dir, "rules.yaml")
	os.WriteFile(rules, []byte(`- rule: test-sleep
  desc: test rule
  source: process
  condition: process.comm == 'sleep' && '0.0271' in process.args
  output: "{process.cmdline} ran"
  severity: high
  tags: [T1059]
`), 0o600)
	out := filepath.Join(dir, "alerts.json")
	var stdout, stderr syncbuf.Buffer
	cmd := NewCmd(&cmdutil.Streams{Out: &stdout, ErrOut: &stderr})
	cmd.SetArgs([]string{"--rules", rules, "-o", out, "--no-api"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			select {
			case err := <-done:
				t.Fatalf("sensor ended before %s: %v\n%s", what, err, stderr.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 30s; stderr:\n%s", what, stderr.String())
			}
		}
	}
	waitFor("start", func() bool { return strings.Contains(stderr.String(), "watching") })
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	// sleep refuses the flag and exits at once; its exec is still seen.
	const secret = "hunter2-not-for-logs"
	exec.Command(sleep, "0.0271", "--password="+secret).Run()
	var rec map[string]any
	waitFor("alert", func() bool {
		b, _ := os.ReadFile(out)
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			var r map[string]any
			if json.Unmarshal(sc.Bytes(), &r) == nil && r["rule.id"] == "test-sleep" {
				rec = r
				return true
			}
		}
		return false
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("sensor: %v", err)
	}
	want := map[string]any{"event.kind": "alert", "event.dataset": "kguard.sensor", "log.level": "high",
		"process.name": "sleep", "process.executable": sleep, "process.command_line": sleep + " 0.0271 --password=[REDACTED]", "message": "sleep 0.0271 --password=[REDACTED] ran"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v (record %v)", k, rec[k], v, rec)
		}
	}
	if b, _ := os.ReadFile(out); strings.Contains(string(b)+stderr.String()+stdout.String(), secret) {
		t.Error("the password on the command line reached the alerts or the log")
	}
	if rec["process.pid"] == nil || rec["kguard.cgroup_id"] == nil {
		t.Errorf("record lacks process.pid or kguard.cgroup_id: %v", rec)
	}
	for _, s := range []string{"hook exec     active", "hook file     active", "hook network  active"} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
		}
	}
	if !strings.Contains(stderr.String(), "alerts,") || stdout.String() != "" {
		t.Errorf("stdout %q (want empty with -o); stderr:\n%s", stdout.String(), stderr.String())
	}
}
