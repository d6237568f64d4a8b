package policyreport

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report/reporttest"
	"github.com/kguard/kguard/internal/scan"
)

func mkFinding(rule, ns, name string, sev finding.Severity) finding.Finding {
	return finding.Finding{Rule: rule, Category: finding.CategoryImages, Severity: sev, Message: "m " + name,
		Resource: inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name}}
}

func TestBuild(t *testing.T) {
	res := &scan.Result{
		Findings: []finding.Finding{
			mkFinding("a", "shop", "web", finding.SeverityHigh),
			mkFinding("b", "shop", "api", finding.SeverityLow),
			func() finding.Finding {
				f := mkFinding("c", "", "cr", finding.SeverityCritical)
				f.Resource.APIVersion, f.Resource.Kind = "rbac.authorization.k8s.io/v1", "ClusterRole"
				return f
			}(),
			// Namespaced but written without a namespace: lands in default.
			mkFinding("d", "", "loose", finding.SeverityLow),
		},
		Suppressed: []finding.Finding{func() finding.Finding {
			f := mkFinding("a", "dev", "x", finding.SeverityHigh)
			f.Suppressed = &finding.Suppression{By: "config", Reason: "ok"}
			return f
		}()},
		NotEvaluated: []finding.NotEvaluated{{Subject: "secrets", Reason: "forbidden", Permission: "list secrets cluster-wide"}},
	}
	now := time.Unix(1700000000, 0)
	reps := Build(res, now)
	if len(reps) != 4 {
		t.Fatalf("got %d reports, want 4 (cluster, default, dev, shop)", len(reps))
	}
	want := []struct {
		kind, ns         string
		fail, skip, errs int64
	}{
		{"ClusterPolicyReport", "", 1, 0, 1},
		{"PolicyReport", "default", 1, 0, 0},
		{"PolicyReport", "dev", 0, 1, 0},
		{"PolicyReport", "shop", 2, 0, 0},
	}
	for i, w := range want {
		r := reps[i]
		if r.GetKind() != w.kind || r.GetNamespace() != w.ns || r.GetName() != "kguard" {
			t.Errorf("report %d = %s %s/%s", i, r.GetKind(), r.GetNamespace(), r.GetName())
		}
		sum := r.Object["summary"].(map[string]any)
		if sum["fail"] != w.fail || sum["skip"] != w.skip || sum["error"] != w.errs {
			t.Errorf("report %d summary = %v", i, sum)
		}
		if r.GetLabels()[ManagedByLabel] != ManagedBy {
			t.Errorf("report %d not labelled as kguard's", i)
		}
	}
	var buf bytes.Buffer
	if err := WriteAt(&buf, res, now); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"apiVersion: wgpolicyk8s.io/v1alpha2", "kind: ClusterPolicyReport", "policy: c", "result: error", "suppressionReason: ok", "seconds: 1700000000"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	// The YAML stream loads back as four objects of the expected kinds.
	objs, errs := inventory.DecodeFile("reports.yaml", buf.Bytes())
	if len(errs) > 0 || len(objs) != 4 {
		t.Fatalf("round trip: %d objects, errors %v", len(objs), errs)
	}
}

func TestBoundedSize(t *testing.T) {
	res := &scan.Result{}
	for i := 0; i < MaxResults+50; i++ {
		res.Findings = append(res.Findings, mkFinding("low", "big", fmt.Sprint(i), finding.SeverityLow))
	}
	res.Findings = append(res.Findings, mkFinding("crit", "big", "last", finding.SeverityCritical))
	reps := Build(res, time.Unix(0, 0))
	results := reps[0].Object["results"].([]any)
	if len(results) != MaxResults {
		t.Fatalf("%d results, want %d", len(results), MaxResults)
	}
	if results[0].(map[string]any)["policy"] != "crit" {
		t.Error("the most severe result must be kept first when trimming")
	}
	if reps[0].GetAnnotations()["kguard.io/omitted-results"] != "51" {
		t.Errorf("omitted annotation = %v", reps[0].GetAnnotations())
	}
	if reps[0].Object["summary"].(map[string]any)["fail"] != int64(MaxResults+51) {
		t.Error("the summary must count every finding, including omitted ones")
	}
}

// TestGolden renders the shared report fixture; the golden file was
// reviewed by hand (namespaces, counts, skip and error results).
func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteAt(&buf, reporttest.Result(t), time.Unix(1767225600, 0)); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "fixture.golden", buf.Bytes())
}

// TestFrameworkReport: a framework becomes a ClusterPolicyReport with one
// result per control; checked by hand against reporttest.Frameworks.
func TestFrameworkReport(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteAt(&buf, reporttest.Result(t), time.Unix(1767225600, 0), reporttest.Frameworks(t)...); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "frameworks.golden", buf.Bytes())
	reps := BuildFrameworks(reporttest.Frameworks(t), time.Unix(0, 0))
	if len(reps) != 1 || reps[0].GetName() != "kguard-framework-test-benchmark" || reps[0].GetKind() != "ClusterPolicyReport" {
		t.Fatalf("reports = %v", reps)
	}
	sum := reps[0].Object["summary"].(map[string]any)
	if sum["pass"] != int64(1) || sum["fail"] != int64(2) || sum["skip"] != int64(2) {
		t.Errorf("summary = %v", sum)
	}
	if reps[0].GetAnnotations()["kguard.io/framework-score"] != "33.3" || reps[0].GetLabels()[ManagedByLabel] != ManagedBy {
		t.Errorf("metadata = %v %v", reps[0].GetAnnotations(), reps[0].GetLabels())
	}
}
