package report_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/reporttest"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

func TestPartial(t *testing.T) {
	inputErr := []*inventory.InputError{{File: "a.yaml", Err: errors.New("bad")}}
	for _, tt := range []struct {
		name string
		res  *scan.Result
		opts report.Options
		want bool
	}{
		{"clean", &scan.Result{}, report.Options{}, false},
		{"findings only", &scan.Result{Findings: reporttest.Result(t).Findings}, report.Options{}, false},
		{"not evaluated", &scan.Result{NotEvaluated: []finding.NotEvaluated{{Subject: "x", Reason: "y"}}}, report.Options{}, true},
		{"input error", &scan.Result{}, report.Options{InputErrors: inputErr}, true},
	} {
		if got := report.Partial(tt.res, tt.opts); got != tt.want {
			t.Errorf("%s: Partial = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRules(t *testing.T) {
	reg := reporttest.Registry(t)
	ssh, _ := reg.Get("service-exposes-ssh")
	res := &scan.Result{
		Rules: []*rules.Rule{ssh, ssh}, // a duplicate must not appear twice
		Findings: []finding.Finding{
			{Rule: "privileged-container"}, // ran but not listed: found in the registry
			{Rule: "unknown-rule"},         // nowhere: left out
		},
		Suppressed: []finding.Finding{{Rule: "privileged-container"}},
	}
	ids := func(rs []*rules.Rule) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(report.Rules(res, report.Options{Registry: reg})); !slices.Equal(got, []string{"service-exposes-ssh", "privileged-container"}) {
		t.Errorf("Rules = %v", got)
	}
	if got := ids(report.Rules(res, report.Options{})); !slices.Equal(got, []string{"service-exposes-ssh"}) {
		t.Errorf("Rules without registry = %v", got)
	}
}

func TestTexts(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{report.DescribeNotEvaluated(finding.NotEvaluated{Subject: "secrets", Namespace: "prod", Reason: "forbidden", Permission: "list secrets"}),
			"secrets in namespace prod: forbidden (missing permission: list secrets)"},
		{report.DescribeNotEvaluated(finding.NotEvaluated{Subject: "rule x"}), "rule x: no reason given"},
		{report.Suppression(&finding.Suppression{By: "annotation", Reason: "ok"}), "suppressed by annotation kguard.io/ignore: ok"},
		{report.Suppression(&finding.Suppression{By: "config", Expires: "2027-01-01"}), "suppressed by a config exception until 2027-01-01: no reason given"},
		{report.Suppression(&finding.Suppression{By: "webhook", Reason: "r"}), "suppressed by webhook: r"},
		{report.Suppression(nil), ""},
		{report.InputErrorMessage(&inventory.InputError{File: "a", Line: 3, Err: errors.New("boom")}), "boom"},
		{report.InputErrorMessage(&inventory.InputError{File: "a"}), "unknown error"},
		{report.InputErrorMessage(nil), "unknown error"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	refs := (finding.References{CIS: []string{"5.1.1"}, NSA: []string{"RBAC"}, MITRE: []string{"T1078"}, PSS: "restricted: Capabilities", URLs: []string{"https://example.com"}}).List()
	want := []string{"CIS Kubernetes Benchmark 5.1.1", "NSA-CISA Kubernetes Hardening Guide: RBAC", "MITRE ATT&CK T1078", "Pod Security Standards, restricted: Capabilities", "https://example.com"}
	if !slices.Equal(refs, want) {
		t.Errorf("References = %q", refs)
	}
}
