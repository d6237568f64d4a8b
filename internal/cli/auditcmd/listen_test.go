package auditcmd

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/testutil/syncbuf"
	"github.com/kguard/kguard/internal/testutil/testcerts"
)

// watchRun is a `kguard audit watch --listen` running in the background.
type watchRun struct {
	out, errOut *syncbuf.Buffer
	// addr is where the webhook backend listens.
	addr string
	// stop interrupts the command and returns its exit status.
	stop func() int
}

// startWatch runs `kguard audit watch ARGS` until the test ends and
// waits until its webhook backend serves.
func startWatch(t *testing.T, args ...string) *watchRun {
	t.Helper()
	r := &watchRun{out: &syncbuf.Buffer{}, errOut: &syncbuf.Buffer{}}
	cmd := NewCmd(&cmdutil.Streams{Out: r.out, ErrOut: r.errOut})
	cmd.SetArgs(append([]string{"watch"}, args...))
	cmd.SetOut(r.out)
	cmd.SetErr(r.errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	r.stop = sync.OnceValue(func() int {
		cancel()
		err := <-done
		if err != nil {
			fmt.Fprint(r.errOut, err.Error())
		}
		return cmdutil.CodeOf(err)
	})
	t.Cleanup(func() { r.stop() })
	deadline := time.Now().Add(10 * time.Second)
	for r.addr == "" {
		sc := bufio.NewScanner(strings.NewReader(r.errOut.String()))
		for sc.Scan() {
			var l struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "serving" {
				r.addr = l.Addr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("watch ended before serving: %v\n%s", err, r.errOut.String())
		default:
		}
		if r.addr == "" && time.Now().After(deadline) {
			t.Fatalf("watch does not serve:\n%s", r.errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return r
}

// waitAlert waits until an alert of rule with every field=value pair of
// want is on standard output, and returns it.
func (r *watchRun) waitAlert(t *testing.T, limit time.Duration, rule string, want ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		for _, a := range alertRules(t, r.out.String())[rule] {
			ok := true
			for i := 0; i+1 < len(want); i += 2 {
				ok = ok && fmt.Sprint(a[want[i]]) == want[i+1]
			}
			if ok {
				return a
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s alert with %v within %s; alerts:\n%s\nstderr:\n%s", rule, want, limit, r.out.String(), r.errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventList is an audit.k8s.io/v1 EventList of lines from auditLine.
func eventList(lines ...string) string {
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[` + strings.Join(lines, ",") + `]}`
}

const privilegedPod = `{"spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}`

func TestListenErrors(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	os.WriteFile(log, nil, 0o600)
	ca := testcerts.NewCA(t, "test CA")
	cert, key := ca.Server(t, "127.0.0.1").Write(t, dir, "tls")
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate\n"), 0o600)
	missing := filepath.Join(dir, "missing.pem")
	tlsArgs := []string{"--listen", "127.0.0.1:0", "--tls-cert-file", cert, "--tls-private-key-file", key}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "127.0.0.1:0"}, "give --tls-cert-file and --tls-private-key-file"},
		{[]string{"--listen", "127.0.0.1:0", "--tls-cert-file", cert}, "give --tls-cert-file and --tls-private-key-file"},
		{[]string{"--listen", "127.0.0.1:0", "--tls-cert-file", missing, "--tls-private-key-file", key}, "--tls-cert-file: open " + missing + ": no such file"},
		{[]string{"--listen", "127.0.0.1:0", "--tls-cert-file", cert, "--tls-private-key-file", missing}, "--tls-private-key-file: open " + missing + ": no such file"},
		{[]string{"--listen", "127.0.0.1:0", "--tls-cert-file", garbage, "--tls-private-key-file", key}, "load TLS key pair " + garbage + ", " + key},
		{append(tlsArgs, "--client-ca-file", garbage), "--client-ca-file: " + garbage + ": no PEM certificate"},
		{append(tlsArgs, "--client-ca-file", missing), "--client-ca-file: open " + missing},
		{[]string{"--listen", ":0", "--insecure-http"}, "only on a loopback address"},
		{[]string{"--listen", "0.0.0.0:0", "--insecure-http"}, "only on a loopback address"},
		{[]string{"--listen", "127.0.0.1:0", "--insecure-http", "--tls-cert-file", cert}, "--insecure-http excludes"},
		{[]string{"--log", log, "--tls-cert-file", cert}, "--tls-cert-file needs --listen"},
		{[]string{"--log", log, "--insecure-http"}, "--insecure-http needs --listen"},
		{append(tlsArgs, "--from-start"), "--from-start needs --log"},
		{append(tlsArgs, "--max-body-bytes", "0"), "--max-body-bytes must be positive"},
		{[]string{"--listen", "256.0.0.1:x", "--tls-cert-file", cert, "--tls-private-key-file", key}, "--listen 256.0.0.1:x"},
	} {
		_, errOut, code := run(t, append([]string{"watch"}, c.args...)...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want usage error containing %q", c.args, code, errOut, c.want)
		}
	}
}

func TestListenInsecureHTTP(t *testing.T) {
	r := startWatch(t, "--listen", "127.0.0.1:0", "--insecure-http", "--rate", "0")
	base := "http://" + r.addr
	body := eventList(auditLine("create", "pods", "shop", "web", "alice", 201, privilegedPod),
		auditLine("get", "configmaps", "shop", "cm", "alice", 200, ""))
	resp, err := http.Post(base+"/audit", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	r.waitAlert(t, 5*time.Second, "k8s-privileged-pod-created", "user.name", "alice", "orchestrator.resource.name", "web")
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/audit": 405, "/other": 404} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.errOut.String())
	}
	if !strings.Contains(r.errOut.String(), "kguard audit watch: 2 events, 1 alerts") {
		t.Errorf("summary: %s", r.errOut.String())
	}
}

// TestListenTLSAndLog: the log (read once) and the webhook (mutual TLS)
// feed one watcher; the command keeps serving after the log's end.
func TestListenTLSAndLog(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	if err := os.WriteFile(log, []byte(auditLine("get", "secrets", "shop", "db", "bob", 200, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := testcerts.NewCA(t, "test CA")
	cert, key := ca.Server(t, "127.0.0.1").Write(t, dir, "tls")
	r := startWatch(t, "--log", log, "--from-start", "--listen", "127.0.0.1:0",
		"--tls-cert-file", cert, "--tls-private-key-file", key, "--client-ca-file", ca.WriteCA(t, dir, "ca"))
	r.waitAlert(t, 5*time.Second, "k8s-secret-read-unexpected", "user.name", "bob")

	client := func(c *testcerts.Pair) *http.Client {
		cfg := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
		if c != nil {
			cfg.Certificates = []tls.Certificate{c.TLS(t)}
		}
		tr := &http.Transport{TLSClientConfig: cfg}
		t.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr, Timeout: 10 * time.Second}
	}
	body := eventList(auditLine("create", "pods", "shop", "web", "carol", 201, privilegedPod))
	post := func(c *http.Client) int {
		resp, err := c.Post("https://"+r.addr+"/audit", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(client(nil)); code != http.StatusUnauthorized {
		t.Errorf("without a client certificate: %d", code)
	}
	apiserver := ca.Client(t, "kube-apiserver")
	if code := post(client(&apiserver)); code != http.StatusOK {
		t.Errorf("with a client certificate: %d", code)
	}
	r.waitAlert(t, 5*time.Second, "k8s-privileged-pod-created", "user.name", "carol")
	if code := r.stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, r.errOut.String())
	}
	if !strings.Contains(r.errOut.String(), "kguard audit watch: 2 events, 2 alerts") {
		t.Errorf("summary: %s", r.errOut.String())
	}
}
