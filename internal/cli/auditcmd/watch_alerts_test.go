package auditcmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// receiver is an alert webhook endpoint answering with code.
type receiver struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	code    int
	srv     *httptest.Server
}

func newReceiver(t *testing.T, code int) *receiver {
	t.Helper()
	r := &receiver{code: code}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		w.WriteHeader(r.code)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func TestWatchAlertWebhooks(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	data := auditLine("get", "secrets", "shop", "db", "alice", 200, "") +
		auditLine("get", "configmaps", "shop", "cm", "alice", 200, "")
	if err := os.WriteFile(log, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	plain, slack := newReceiver(t, 200), newReceiver(t, 200)
	out, errOut, code := run(t, "watch", "--log", log, "--from-start",
		"--alert-webhook", plain.srv.URL+"/alerts", "--alert-webhook-header", "Authorization: Bearer t0ken",
		"--alert-webhook", slack.srv.URL+"/hook", "--alert-webhook-format", "slack")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Standard output still gets the JSON lines.
	if got := alertRules(t, out); len(got["k8s-secret-read-unexpected"]) != 1 {
		t.Errorf("stdout alerts %v", got)
	}
	if !strings.Contains(errOut, "2 events, 1 alerts, 0 suppressed, 0 lines skipped, webhooks: 2 sent, 0 dropped") {
		t.Errorf("summary: %s", errOut)
	}
	// Both URLs get the format given last (the flag is not per URL).
	for _, r := range []*receiver{plain, slack} {
		if len(r.bodies) != 1 {
			t.Fatalf("%s got %d requests", r.srv.URL, len(r.bodies))
		}
		var msg struct{ Text string }
		if err := json.Unmarshal(r.bodies[0], &msg); err != nil || !strings.Contains(msg.Text, "[LOW] k8s-secret-read-unexpected: alice get secret shop/db") {
			t.Errorf("body %s (%v)", r.bodies[0], err)
		}
		if r.headers[0].Get("Authorization") != "Bearer t0ken" {
			t.Errorf("headers %v", r.headers[0])
		}
	}

	// The JSON format posts the record itself.
	plain = newReceiver(t, 200)
	_, errOut, code = run(t, "watch", "--log", log, "--from-start", "-o", filepath.Join(dir, "alerts.json"),
		"--alert-webhook", plain.srv.URL)
	if code != 0 || len(plain.bodies) != 1 {
		t.Fatalf("exit %d, %d requests: %s", code, len(plain.bodies), errOut)
	}
	var rec map[string]any
	if err := json.Unmarshal(plain.bodies[0], &rec); err != nil || rec["rule.id"] != "k8s-secret-read-unexpected" || rec["user.name"] != "alice" {
		t.Errorf("record %v (%v)", rec, err)
	}

	// A refusing endpoint: reported, counted, and the exit status is
	// still that of the watch.
	refusing := newReceiver(t, 400)
	_, errOut, code = run(t, "watch", "--log", log, "--from-start", "-o", filepath.Join(dir, "alerts.json"),
		"--alert-webhook", refusing.srv.URL+"/s3cr3t", "--alert-webhook-header", "Authorization: Bearer t0ken")
	if code != 0 || !strings.Contains(errOut, "webhooks: 0 sent, 1 dropped") || !strings.Contains(errOut, "400 Bad Request") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if strings.Contains(errOut, "s3cr3t") || strings.Contains(errOut, "t0ken") {
		t.Errorf("a secret was printed: %s", errOut)
	}
}

func TestWatchAlertWebhookErrors(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "audit.log")
	os.WriteFile(log, nil, 0o600)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--alert-webhook", "hooks.example/s3cr3t"}, "--alert-webhook #1: webhook URL: want http:// or https://"},
		{[]string{"--alert-webhook", "https://hooks.example/x", "--alert-webhook-format", "teams"}, `--alert-webhook-format "teams"`},
		{[]string{"--alert-webhook", "https://hooks.example/x", "--alert-webhook-header", "Bearer s3cr3t"}, "--alert-webhook-header #1: want 'Name: value'"},
		{[]string{"--alert-webhook", "https://hooks.example/x", "--alert-queue", "0"}, "--alert-queue must be 1 or more"},
		{[]string{"--alert-webhook", "https://hooks.example/x", "--alert-webhook-ca-file", filepath.Join(dir, "none.pem")}, "webhook CA file"},
	} {
		args := append([]string{"watch", "--log", log, "--from-start"}, c.args...)
		_, errOut, code := run(t, args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Contains(errOut, "s3cr3t") {
			t.Errorf("%v: exit %d, %q; want a usage error containing %q", c.args, code, errOut, c.want)
		}
	}
}
