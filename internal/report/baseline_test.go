package report_test

import (
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/reporttest"
)

func TestBaselineStatusAndFixed(t *testing.T) {
	res := reporttest.Result(t)
	kept := res.Findings[2]       // still there: unchanged
	moved := res.Findings[4]      // same problem, other line and message: unchanged
	gone := res.Findings[3]       // removed from the run below: fixed
	nowQuiet := res.Suppressed[0] // suppressed in the run: neither new nor fixed
	moved.Source.Line += 40
	moved.Message = "reworded"
	base := reporttest.Baseline(t, kept, moved, gone, nowQuiet)
	res.Findings = append(res.Findings[:3], res.Findings[4:]...)

	var st []string
	for i := range res.Findings {
		st = append(st, base.Status(&res.Findings[i]))
	}
	// Worked out by hand: of the 7 remaining findings, kept was index 2
	// and moved index 3 (index 4 before the removal).
	want := "new new unchanged unchanged new new new"
	if got := strings.Join(st, " "); got != want {
		t.Errorf("statuses = %s\nwant       %s", got, want)
	}
	fixed := base.Fixed(res)
	if len(fixed) != 1 || fixed[0].Rule != gone.Rule || fixed[0].Field != gone.Field || fixed[0].Message != gone.Message {
		t.Errorf("fixed = %+v, want only %s on %s", fixed, gone.Rule, gone.Field)
	}
	if c := base.Count(res); c != (report.BaselineCounts{New: 5, Unchanged: 2, Fixed: 1}) {
		t.Errorf("counts = %+v", c)
	}
	var none *report.Baseline
	if none.Status(&res.Findings[0]) != "" || none.Fixed(res) != nil {
		t.Error("a nil baseline must mark nothing")
	}
}

func TestReadBaseline(t *testing.T) {
	// A report from before fingerprints existed still matches: the
	// fingerprint is computed from rule, resource and field.
	old := `{"findings": [{"rule": "privileged-container", "severity": "critical",
	  "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
	  "message": "m", "field": "spec.template.spec.containers[0].securityContext.privileged",
	  "source": {"file": "manifests/shop.yaml", "line": 12}}], "tool": {"name": "kguard", "version": "0.1"}}`
	b, err := report.ReadBaseline(strings.NewReader(old), "old.json")
	if err != nil {
		t.Fatal(err)
	}
	f := finding.Finding{Rule: "privileged-container", Resource: reporttest.Result(t).Findings[4].Resource,
		Field: "spec.template.spec.containers[0].securityContext.privileged"}
	if b.Len() != 1 || b.IsNew(&f) {
		t.Errorf("old report: len %d, IsNew %v", b.Len(), b.IsNew(&f))
	}
	for _, tt := range []struct{ in, want string }{
		{`{"findings": [`, "bad.json"},
		{`[1, 2]`, "bad.json"},
		{`{"runs": []}`, "not a kguard JSON report"},
		{`{"findings": [], "tool": {"name": "trivy"}}`, "not a kguard JSON report"},
		{`{"findings": [{"severity": "urgent"}], "tool": {"name": "kguard"}}`, "urgent"},
	} {
		_, err := report.ReadBaseline(strings.NewReader(tt.in), "bad.json")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadBaseline(%s) = %v, want an error naming %q", tt.in, err, tt.want)
		}
	}
}

func TestGate(t *testing.T) {
	res := reporttest.Result(t)
	high := &res.Findings[0] // rbac-wildcard-verbs, high
	low := &res.Findings[3]  // image-digest-missing, low
	base := reporttest.Baseline(t, *high)
	for _, tt := range []struct {
		name      string
		g         report.Gate
		b         *report.Baseline
		high, low bool
	}{
		{"zero value fails on everything", report.Gate{}, nil, true, true},
		{"high", report.Gate{Min: finding.SeverityHigh}, nil, true, false},
		{"none", report.Gate{None: true}, nil, false, false},
		{"new only, known high finding", report.Gate{NewOnly: true}, base, false, true},
		{"new only without a baseline", report.Gate{NewOnly: true}, nil, true, true},
	} {
		if got := tt.g.Fails(high, tt.b); got != tt.high {
			t.Errorf("%s: high finding fails = %v", tt.name, got)
		}
		if got := tt.g.Fails(low, tt.b); got != tt.low {
			t.Errorf("%s: low finding fails = %v", tt.name, got)
		}
	}
	if (report.Gate{}).Fails(&res.Suppressed[0], nil) {
		t.Error("a suppressed finding failed the gate")
	}
}
