package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/detect"
	"github.com/kguard/kguard/internal/finding"
)

// fields returns r as its JSON object.
func fields(t *testing.T, r Record) map[string]any {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSensorRecords(t *testing.T) {
	proc := detect.Process{PID: 4321, PPID: 4000, UID: 0, Comm: "bash", Exe: "/usr/bin/bash", Args: []string{"-c", "id"},
		CgroupID: 777, MntNS: 4026531840, Container: detect.Container{ID: "3f2a", Image: "nginx:1.27", Pod: "web-0", Namespace: "shop", PodUID: "9d1c-77"}}
	common := map[string]any{
		"event.kind": "alert", "event.module": "kguard", "event.dataset": "kguard.sensor",
		"event.severity": 99.0, "log.level": "critical", "rule.id": "r", "message": "m",
		"process.pid": 4321.0, "process.parent.pid": 4000.0, "process.name": "bash", "process.executable": "/usr/bin/bash",
		"process.args": []any{"/usr/bin/bash", "-c", "id"}, "process.command_line": "/usr/bin/bash -c id",
		"user.id": "0", "container.id": "3f2a", "container.image.name": "nginx:1.27", "kubernetes.pod.name": "web-0", "kubernetes.pod.uid": "9d1c-77",
		"kubernetes.namespace": "shop", "kguard.cgroup_id": 777.0, "kguard.mnt_ns": 4026531840.0, "@timestamp": "2026-03-02T10:00:00Z",
	}
	cases := []struct {
		name   string
		source string
		ev     detect.Event
		want   map[string]any
		absent []string
	}{
		{"process", detect.SourceProcess, detect.Event{Process: &proc},
			map[string]any{"event.action": "exec"}, []string{"file.path", "destination.ip"}},
		{"file", detect.SourceFile, detect.Event{Process: &proc, File: &detect.File{Path: "/etc/shadow", Flags: 1}},
			map[string]any{"event.action": "open", "file.path": "/etc/shadow"}, []string{"destination.ip", "destination.port"}},
		{"network", detect.SourceNetwork, detect.Event{Process: &proc, Network: &detect.Network{DAddr: "203.0.113.9", DPort: 4444, Proto: "TCP"}},
			map[string]any{"event.action": "connect", "destination.ip": "203.0.113.9", "destination.port": 4444.0, "network.transport": "tcp"},
			[]string{"file.path"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.ev.Source = c.source
			a := detect.Alert{Rule: "r", Severity: finding.SeverityCritical, Output: "m", Time: t0, Source: c.source, Event: c.ev,
				Tags: []string{"container", "T1059.004"}}
			got := fields(t, NewRecord(a, "d"))
			for k, v := range common {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
			for k, v := range c.want {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %#v, want %#v", k, got[k], v)
				}
			}
			// Audit-only fields stay out of sensor records.
			for _, k := range append(c.absent, "user.name", "orchestrator.type", "event.id", "http.response.status_code", "kguard.action") {
				if _, ok := got[k]; ok {
					t.Errorf("%s present: %v", k, got[k])
				}
			}
			if !reflect.DeepEqual(got["threat.technique.id"], []any{"T1059.004"}) {
				t.Errorf("techniques %v", got["threat.technique.id"])
			}
		})
	}
}

// TestHostProcessRecord: a process on the host has no container fields
// and a command line from comm when the executable is unknown.
func TestHostProcessRecord(t *testing.T) {
	a := detect.Alert{Rule: "r", Time: t0, Source: detect.SourceProcess,
		Event: detect.Event{Process: &detect.Process{PID: 9, UID: 1000, Comm: "nc", Args: []string{"-l", "9"}}}}
	got := fields(t, NewRecord(a, ""))
	if got["process.command_line"] != "nc -l 9" || got["user.id"] != "1000" || got["event.dataset"] != "kguard.sensor" {
		t.Errorf("record %v", got)
	}
	for _, k := range []string{"container.id", "kubernetes.pod.name", "kubernetes.pod.uid", "kubernetes.namespace", "kguard.cgroup_id"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s present", k)
		}
	}
}

// TestAuditRecordHasNoSensorFields: the sensor fields stay empty for
// audit alerts, so the audit output is as before.
func TestAuditRecordHasNoSensorFields(t *testing.T) {
	a := auditAlert("r", "alice", 0)
	a.Event.K8sAudit.ObjectRef = &detect.ObjectRef{Resource: "pods", Subresource: "exec", Namespace: "shop", Name: "web"}
	got := fields(t, NewRecord(a, ""))
	want := map[string]any{"event.dataset": "kubernetes.audit", "event.action": "create", "user.name": "alice",
		"orchestrator.resource.type": "pods/exec", "kubernetes.namespace": "shop", "orchestrator.type": "kubernetes"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for k := range got {
		if strings.HasPrefix(k, "process.") || strings.HasPrefix(k, "container.") || k == "user.id" || k == "kguard.cgroup_id" || k == "kguard.mnt_ns" {
			t.Errorf("sensor field %s in an audit record", k)
		}
	}
}

func TestIsTechnique(t *testing.T) {
	for tag, want := range map[string]bool{
		"T1059": true, "T1059.004": true, "T105": false, "t1059": false, "T10a9": false,
		"T1059.": true, "T10.59": false, "mitre_execution": false, "T1059.004.1": false,
	} {
		if got := isTechnique(tag); got != want {
			t.Errorf("isTechnique(%q) = %v, want %v", tag, got, want)
		}
	}
}

func TestSeverityNumber(t *testing.T) {
	for s, want := range map[finding.Severity]int{finding.SeverityCritical: 99, finding.SeverityHigh: 73,
		finding.SeverityMedium: 47, finding.SeverityLow: 21, finding.SeverityInfo: 1} {
		if got := SeverityNumber(s); got != want {
			t.Errorf("%s: %d, want %d", s, got, want)
		}
	}
}

func TestJSONLines(t *testing.T) {
	var b bytes.Buffer
	j := NewJSONLines(&b)
	j.Send(Record{RuleID: "a", Message: "curl http://x/?a=1&b=<2>"})
	j.Send(Record{RuleID: "b"})
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"message":"curl http://x/?a=1&b=<2>"`) {
		t.Errorf("output:\n%s", b.String())
	}
	if err := j.Close(t.Context()); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// flaky fails the writes it is told to.
type flaky struct {
	fail []bool
	n    int
	b    bytes.Buffer
}

func (f *flaky) Write(p []byte) (int, error) {
	i := f.n
	f.n++
	if i < len(f.fail) && f.fail[i] {
		return 0, errors.New("write " + string(rune('0'+i)) + " failed")
	}
	return f.b.Write(p)
}

func TestJSONLinesFirstError(t *testing.T) {
	w := &flaky{fail: []bool{false, true, true}}
	j := NewJSONLines(w)
	for range 4 {
		j.Send(Record{RuleID: "r"})
	}
	err := j.Close(t.Context())
	if err == nil || !strings.Contains(err.Error(), "write 1 failed") || j.Err() == nil || j.Err().Error() != err.Error() {
		t.Errorf("Close: %v, want the first error", err)
	}
	// Writes after a failure are still tried.
	if strings.Count(w.b.String(), "\n") != 2 {
		t.Errorf("written:\n%s", w.b.String())
	}
}
