package ecs

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/reporttest"
	"github.com/kguard/kguard/internal/scan"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func render(t *testing.T, res *scan.Result, opts report.Options) string {
	t.Helper()
	opts.Now = now
	var b bytes.Buffer
	if err := Write(&b, res, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	opts := reporttest.Options(t)
	opts.Frameworks = reporttest.Frameworks(t)
	opts.Baseline = reporttest.Baseline(t, reporttest.Result(t).Findings[2])
	reporttest.Golden(t, "fixture.golden", []byte(render(t, reporttest.Result(t), opts)))
}

// TestRecords checks the records value by value against the fixture:
// one line per finding (suppressed ones marked), per not-evaluated item,
// per input error and per control; the layout of the alerts.
func TestRecords(t *testing.T) {
	res := reporttest.Result(t)
	opts := reporttest.Options(t)
	opts.Frameworks = reporttest.Frameworks(t)
	lines := strings.Split(strings.TrimSuffix(render(t, res, opts), "\n"), "\n")
	// 8 findings + 2 suppressed + 2 not evaluated + 2 input errors + 5 controls.
	if len(lines) != 19 {
		t.Fatalf("%d lines, want 19", len(lines))
	}
	recs := make([]map[string]any, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal([]byte(l), &recs[i]); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
	}
	var web map[string]any
	for _, r := range recs[:8] {
		if r["rule.id"] == "privileged-container" && r["orchestrator.resource.name"] == "web" {
			web = r
		}
	}
	want := map[string]any{
		"@timestamp": "2026-03-01T12:00:00Z", "ecs.version": "8.17.0", "event.kind": "state", "event.module": "kguard",
		"event.dataset": "kguard.findings", "event.category": []any{"configuration"}, "event.type": []any{"info"},
		"event.severity": 99.0, "log.level": "critical", "rule.id": "privileged-container", "rule.name": "Privileged container",
		"rule.category": "pod-security", "rule.ruleset": "kguard", "message": `container "app" runs privileged`,
		"threat.framework": "MITRE ATT&CK", "threat.technique.id": []any{"T1611"},
		"orchestrator.type": "kubernetes", "orchestrator.api_version": "apps/v1", "orchestrator.resource.type": "Deployment",
		"orchestrator.namespace": "shop", "kubernetes.namespace": "shop", "file.path": "manifests/shop.yaml", "kguard.source.line": 12.0,
		"kguard.field":       "spec.template.spec.containers[0].securityContext.privileged",
		"kguard.remediation": "Remove securityContext.privileged or set it to false.",
	}
	for k, v := range want {
		if b, _ := json.Marshal(web[k]); string(b) != mustJSON(v) {
			t.Errorf("web finding %s = %v, want %v", k, web[k], v)
		}
	}
	if web["kguard.fingerprint"] != finding.Fingerprint(&res.Findings[6]) {
		t.Errorf("fingerprint %v", web["kguard.fingerprint"])
	}
	if recs[9]["kguard.suppression.by"] != "annotation" || recs[8]["kguard.suppression.expires"] != "2027-01-31" {
		t.Errorf("suppressed records: %v / %v", recs[8], recs[9])
	}
	if recs[10]["rule.id"] != "kguard-not-evaluated" || recs[10]["log.level"] != "error" || recs[13]["file.path"] != "manifests/huge.json" {
		t.Errorf("problem records: %v / %v", recs[10], recs[13])
	}
	ctl := recs[14]
	if ctl["event.dataset"] != "kguard.frameworks" || ctl["rule.id"] != "5.1.3" || ctl["rule.ruleset"] != "test-benchmark" ||
		ctl["event.outcome"] != "failure" || ctl["kguard.control.status"] != "fail" || ctl["kguard.control.findings"] != 1.0 {
		t.Errorf("control record = %v", ctl)
	}
	for _, r := range recs {
		if _, ok := r["kguard.baseline"]; ok {
			t.Error("baseline status without a baseline")
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
