package watch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/detect/alert"
	"github.com/kguard/kguard/internal/testutil/syncbuf"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// ev is a hand-written audit event line.
type ev struct {
	id, verb, resource, sub, ns, name, user string
	code                                    int
	at                                      time.Duration
	obj                                     string // requestObject JSON
	imp                                     string
}

func (e ev) String() string {
	if e.code == 0 {
		e.code = 201
	}
	if e.id == "" {
		e.id = fmt.Sprintf("id-%s-%s-%s-%d", e.verb, e.name, e.user, e.at)
	}
	s := fmt.Sprintf(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":%q,"stage":"ResponseComplete",`+
		`"requestURI":"/api/v1/namespaces/%s/%s","verb":%q,"user":{"username":%q,"groups":["system:authenticated"]},`+
		`"sourceIPs":["10.1.2.3"],"userAgent":"kubectl/v1.35","objectRef":{"resource":%q,"subresource":%q,"namespace":%q,"name":%q},`+
		`"responseStatus":{"code":%d},"stageTimestamp":%q`,
		e.id, e.ns, e.resource, e.verb, e.user, e.resource, e.sub, e.ns, e.name, e.code, t0.Add(e.at).Format(time.RFC3339Nano))
	if e.obj != "" {
		s += `,"requestObject":` + e.obj
	}
	if e.imp != "" {
		s += fmt.Sprintf(`,"impersonatedUser":{"username":%q}`, e.imp)
	}
	return s + "}\n"
}

const privPod = `{"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"name":"c","image":"busybox","securityContext":{"privileged":true}}]}}`

func privileged(name string, at time.Duration) ev {
	return ev{verb: "create", resource: "pods", ns: "shop", name: name, user: "alice", obj: privPod, at: at}
}

// records decodes the alerts written to out so far.
func records(t *testing.T, out *syncbuf.Buffer) []map[string]any {
	t.Helper()
	return decode(t, out.String())
}

func decode(t *testing.T, data string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(data), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("alert is not JSON: %v: %s", err, l)
		}
		out = append(out, m)
	}
	return out
}

func byRule(recs []map[string]any, id string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["rule.id"] == id {
			out = append(out, r)
		}
	}
	return out
}

func defaults(t testing.TB) *detect.RuleSet {
	t.Helper()
	rs, err := detect.Default()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func writeFile(t *testing.T, path string, lines ...any) {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprint(&b, l)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path string, lines ...any) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		if _, err := fmt.Fprint(f, l); err != nil {
			t.Fatal(err)
		}
	}
}

func runOnce(t *testing.T, path string, mod func(*Options)) (*Watcher, []map[string]any) {
	t.Helper()
	var out bytes.Buffer
	o := Options{Path: path, Rules: defaults(t), Out: &out}
	if mod != nil {
		mod(&o)
	}
	w, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return w, decode(t, out.String())
}

func TestFromStartECSAndSkips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	binding := ev{verb: "create", resource: "clusterrolebindings", name: "pwn", user: "mallory", imp: "bob",
		obj: `{"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},"subjects":[]}`}
	rr := privileged("web", 0)
	rr.id = "same-request"
	stage1 := strings.Replace(rr.String(), `"stage":"ResponseComplete"`, `"stage":"ResponseStarted"`, 1)
	long := ev{verb: "get", resource: "pods", ns: "x", name: strings.Repeat("p", 5000), user: "u"}
	writeFile(t, path,
		stage1, rr, // one request at two stages: one alert
		"not json\n",
		`{"kind":"Policy","apiVersion":"audit.k8s.io/v1"}`+"\n",
		long,
		"\r\n",
		ev{verb: "get", resource: "pods", ns: "shop", name: "ok", user: "alice", code: 200},
		strings.TrimSuffix(binding.String(), "\n"), // last line without newline
	)
	w, recs := runOnce(t, path, func(o *Options) { o.MaxLineBytes = 4096 })
	if len(recs) != 2 {
		t.Fatalf("got %d alerts, want 2: %v", len(recs), recs)
	}
	st := w.Stats()
	if st.Events != 4 || st.Skipped != 3 || st.Alerts != 2 || st.Suppressed != 0 {
		t.Errorf("stats %+v", st)
	}
	p := recs[0]
	want := map[string]any{
		"@timestamp": "2026-03-02T10:00:00Z", "event.kind": "alert", "event.module": "kguard", "event.dataset": "kubernetes.audit",
		"event.severity": 73.0, "log.level": "high", "event.action": "create", "event.id": "same-request",
		"rule.id": "k8s-privileged-pod-created", "rule.name": "k8s-privileged-pod-created",
		"message": "alice created privileged pod shop/web", "threat.framework": "MITRE ATT&CK",
		"user.name": "alice", "source.ip": "10.1.2.3", "user_agent.original": "kubectl/v1.35",
		"url.original": "/api/v1/namespaces/shop/pods", "http.response.status_code": 201.0,
		"kubernetes.namespace": "shop", "orchestrator.type": "kubernetes", "orchestrator.resource.type": "pods",
		"orchestrator.resource.name": "web",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %#v, want %#v", k, p[k], v)
		}
	}
	if fmt.Sprint(p["threat.technique.id"]) != "[T1610 T1611]" || !strings.Contains(fmt.Sprint(p["tags"]), "mitre_privilege_escalation") ||
		!strings.Contains(fmt.Sprint(p["rule.description"]), "privileged container") {
		t.Errorf("techniques/tags/description: %v", p)
	}
	b := recs[1]
	if b["rule.id"] != "k8s-cluster-admin-binding" || b["event.severity"] != 99.0 || b["user.effective.name"] != "bob" ||
		b["kubernetes.namespace"] != nil || b["threat.technique.id"].([]any)[0] != "T1098" {
		t.Errorf("binding alert %v", b)
	}

	// Metrics.
	mfs, err := w.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			name := mf.GetName()
			for _, l := range m.GetLabel() {
				name += "," + l.GetName() + "=" + l.GetValue()
			}
			got[name] = m.GetCounter().GetValue()
		}
	}
	for k, v := range map[string]float64{
		"kguard_watch_events_total":                                            4,
		"kguard_watch_lines_skipped_total,reason=too_long":                     1,
		"kguard_watch_lines_skipped_total,reason=unparsable":                   2,
		"kguard_alerts_total,rule=k8s-privileged-pod-created,severity=high":    1,
		"kguard_alerts_total,rule=k8s-cluster-admin-binding,severity=critical": 1,
	} {
		if got[k] != v {
			t.Errorf("metric %s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

func TestMissingFile(t *testing.T) {
	w, err := New(Options{Path: filepath.Join(t.TempDir(), "nope.log"), Rules: defaults(t), Out: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err == nil || !os.IsNotExist(err) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("want not-exist error, got %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	var lines []any
	for i := range 15 {
		lines = append(lines, privileged(fmt.Sprintf("p%d", i), time.Duration(i)*time.Second))
	}
	lines = append(lines, ev{verb: "create", resource: "pods", ns: "shop", name: "other", user: "bob", obj: privPod, at: 20 * time.Second})
	lines = append(lines, privileged("later", 70*time.Second))
	writeFile(t, path, lines...)
	w, recs := runOnce(t, path, nil)
	if len(recs) != 12 {
		t.Fatalf("got %d alerts, want 10 + bob + later", len(recs))
	}
	if st := w.Stats(); st.Suppressed != 5 || st.Alerts != 12 {
		t.Errorf("stats %+v", st)
	}
	last := recs[len(recs)-1]
	if last["orchestrator.resource.name"] != "later" || last["kguard.suppressed"] != 5.0 {
		t.Errorf("last alert %v", last)
	}
	if recs[10]["user.name"] != "bob" {
		t.Errorf("bob's alert was limited with alice's: %v", recs[10])
	}

	_, recs = runOnce(t, path, func(o *Options) { o.RatePerMinute = -1 })
	if len(recs) != 17 {
		t.Errorf("unlimited: %d alerts", len(recs))
	}
	_, recs = runOnce(t, path, func(o *Options) { o.RatePerMinute = 2 })
	if len(recs) != 4 {
		t.Errorf("rate 2: %d alerts", len(recs))
	}
}

func forbidden(user string, i int, at time.Duration) ev {
	return ev{verb: "list", resource: "secrets", ns: "kube-system", name: fmt.Sprint(i), user: user, code: 403, at: at}
}

func TestForbiddenBurst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	var lines []any
	// Slow prober: 30 denials, 5 s apart: never 20 within a minute.
	for i := range 30 {
		lines = append(lines, forbidden("slow", i, time.Duration(i)*5*time.Second))
	}
	// Fast prober: 19, then the 20th fires, then 19 more do not.
	for i := range 39 {
		lines = append(lines, forbidden("fast", i, 200*time.Second+time.Duration(i)*time.Second/2))
	}
	writeFile(t, path, lines...)
	_, recs := runOnce(t, path, nil)
	if len(byRule(recs, ForbiddenCandidateRule)) != 0 {
		t.Errorf("candidate rule alerts were written")
	}
	b := byRule(recs, ForbiddenBurstRule)
	if len(b) != 1 || len(recs) != 1 {
		t.Fatalf("want one burst alert, got %v", recs)
	}
	a := b[0]
	if a["user.name"] != "fast" || a["event.severity"] != 47.0 || a["log.level"] != "medium" || a["kguard.count"] != 20.0 ||
		fmt.Sprint(a["threat.technique.id"]) != "[T1613]" || a["@timestamp"] != t0.Add(200*time.Second+19*time.Second/2).Format(time.RFC3339Nano) ||
		!strings.Contains(a["message"].(string), "fast received 20 forbidden responses within 1m0s (last: list secrets in kube-system)") {
		t.Errorf("burst alert %v", a)
	}
}

// follow starts a following Watcher and returns its output and a stop
// function that waits for Run to return.
func follow(t *testing.T, path string) (*syncbuf.Buffer, func()) {
	t.Helper()
	out := &syncbuf.Buffer{}
	w, err := New(Options{Path: path, Follow: true, Rules: defaults(t), Out: out, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(func() {
		if ctx.Err() == nil {
			stop()
		}
	})
	return out, stop
}

func waitNames(t *testing.T, out *syncbuf.Buffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got []string
		for _, r := range records(t, out) {
			got = append(got, fmt.Sprint(r["orchestrator.resource.name"]))
		}
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts for %v, want %v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFollowRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	writeFile(t, path, privileged("a", 0))
	out, stop := follow(t, path)
	waitNames(t, out, "a")

	// A partial line is held until its newline arrives.
	line := privileged("b", time.Second).String()
	appendFile(t, path, line[:40])
	time.Sleep(60 * time.Millisecond)
	appendFile(t, path, line[40:])
	waitNames(t, out, "a", "b")

	// Rotation: the writer still appends to the renamed file before the
	// new one appears; those lines come first.
	old, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(old, privileged("c", 2*time.Second))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(old, privileged("d", 3*time.Second))
	time.Sleep(60 * time.Millisecond) // the watcher sees no file for a while
	fmt.Fprint(old, privileged("e", 4*time.Second))
	old.Close()
	writeFile(t, path, privileged("f", 5*time.Second))
	appendFile(t, path, privileged("g", 6*time.Second))
	waitNames(t, out, "a", "b", "c", "d", "e", "f", "g")
	appendFile(t, path+".1", privileged("lost", 7*time.Second)) // after the switch: not read
	appendFile(t, path, privileged("h", 8*time.Second))
	waitNames(t, out, "a", "b", "c", "d", "e", "f", "g", "h")
	stop()
}

func TestFollowTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	writeFile(t, path, privileged("a", 0), privileged("b", time.Second))
	out, stop := follow(t, path)
	waitNames(t, out, "a", "b")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	appendFile(t, path, privileged("c", 2*time.Second))
	waitNames(t, out, "a", "b", "c")
	stop()
}

func TestFollowFromEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	writeFile(t, path, privileged("old", 0))
	out := &syncbuf.Buffer{}
	w, err := New(Options{Path: path, Follow: true, FromEnd: true, Rules: defaults(t), Out: out, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	select {
	case <-w.Ready():
	case err := <-done:
		t.Fatalf("watcher ended before opening the log: %v", err)
	}
	appendFile(t, path, privileged("new", time.Second))
	waitNames(t, out, "new")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// recorder is a Sink that keeps what it is sent.
type recorder struct {
	mu     sync.Mutex
	recs   []alert.Record
	closed int
}

func (r *recorder) Send(rec alert.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
}

func (r *recorder) Close(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed++
	return nil
}

func parse(t *testing.T, e ev) detect.Event {
	t.Helper()
	x, err := detect.ParseAuditEvent([]byte(e.String()))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// TestHandleEventConcurrent feeds events from several goroutines (as the
// audit webhook handler does) and checks that bursts, de-duplication and
// the counts come out as from one reader. Run with -race.
func TestHandleEventConcurrent(t *testing.T) {
	rec := &recorder{}
	w, err := New(Options{Path: "unused.log", Rules: defaults(t), Sinks: []alert.Sink{rec}})
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 25 // 200 denials: exactly 10 bursts of 20
	same := privileged("dup", 0)
	same.id = "one-request"
	dup := parse(t, same)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				w.HandleEvent(parse(t, forbidden("probe", g*each+i, time.Second)))
				w.HandleEvent(dup) // the same audit ID from everyone: one alert
			}
		})
	}
	wg.Wait()
	bursts, privs := 0, 0
	for _, r := range rec.recs {
		switch r.RuleID {
		case ForbiddenBurstRule:
			bursts++
			if r.Count != DefaultBurstThreshold {
				t.Errorf("burst count %d", r.Count)
			}
		case "k8s-privileged-pod-created":
			privs++
		default:
			t.Errorf("unexpected alert %s", r.RuleID)
		}
	}
	if bursts != workers*each/DefaultBurstThreshold || privs != 1 {
		t.Errorf("%d bursts and %d privileged-pod alerts, want 10 and 1", bursts, privs)
	}
	if st := w.Stats(); st.Events != 2*workers*each || st.Alerts != 11 || st.Suppressed != 0 {
		t.Errorf("stats %+v", st)
	}
	if err := w.Close(context.Background()); err != nil || rec.closed != 1 {
		t.Errorf("Close: %v, sink closed %d times", err, rec.closed)
	}
}

// TestSinksAndOut: Out and the extra sinks get the same records, and the
// suppressed counter is the alert package's.
func TestSinksAndOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	var lines []any
	for i := range 4 {
		lines = append(lines, privileged(fmt.Sprintf("p%d", i), time.Duration(i)*time.Second))
	}
	writeFile(t, path, lines...)
	rec := &recorder{}
	w, recs := runOnce(t, path, func(o *Options) { o.Sinks = []alert.Sink{rec}; o.RatePerMinute = 3 })
	if len(recs) != 3 || len(rec.recs) != 3 {
		t.Fatalf("out %d, sink %d alerts; want 3 each", len(recs), len(rec.recs))
	}
	for i, r := range rec.recs {
		if r.ResourceName != recs[i]["orchestrator.resource.name"] || r.Dataset != alert.DatasetAudit {
			t.Errorf("sink record %d: %+v, out %v", i, r, recs[i])
		}
	}
	mfs, err := w.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "kguard_alerts_suppressed_total" {
			found = mf.GetMetric()[0].GetCounter().GetValue() == 1
		}
	}
	if !found {
		t.Errorf("kguard_alerts_suppressed_total is not 1")
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRunReportsWriteError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	writeFile(t, path, privileged("a", 0))
	w, err := New(Options{Path: path, Rules: defaults(t), Out: failWriter{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Run: %v, want the write error", err)
	}
}

func TestNewNeedsOutput(t *testing.T) {
	if _, err := New(Options{Path: "x", Rules: defaults(t)}); err == nil {
		t.Error("no Out and no Sinks accepted")
	}
	// Without a log, events come only through HandleEvent; Run says so.
	w, err := New(Options{Rules: defaults(t), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "no audit log path") {
		t.Errorf("Run without a path: %v", err)
	}
}
