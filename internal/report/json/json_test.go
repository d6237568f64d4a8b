package json

import (
	"bytes"
	encjson "encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/reporttest"
	"github.com/kguard/kguard/internal/scan"
)

func render(t *testing.T, res *scan.Result, opts report.Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, res, opts); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	t.Run("fixture", func(t *testing.T) {
		reporttest.Golden(t, "fixture.golden", render(t, reporttest.Result(t), reporttest.Options(t)))
	})
	t.Run("show-suppressed", func(t *testing.T) {
		opts := reporttest.Options(t)
		opts.ShowSuppressed = true
		reporttest.Golden(t, "show-suppressed.golden", render(t, reporttest.Result(t), opts))
	})
	t.Run("frameworks", func(t *testing.T) {
		opts := reporttest.Options(t)
		opts.Frameworks = reporttest.Frameworks(t)
		reporttest.Golden(t, "frameworks.golden", render(t, reporttest.Result(t), opts))
	})
	t.Run("empty", func(t *testing.T) {
		reporttest.Golden(t, "empty.golden", render(t, reporttest.Empty(t), report.Options{ToolVersion: "1.2.3-test"}))
	})
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// requireKeys fails unless m has every key in want (more keys are allowed:
// the contract lets fields be added).
func requireKeys(t *testing.T, what string, m map[string]any, want ...string) {
	t.Helper()
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks key %q (has %v)", what, k, keys(m))
		}
	}
}

// TestContract checks the keys and value types the issue promises to other
// tools, on a decoded document rather than on the golden text, so that a
// reformatting cannot hide a broken contract.
func TestContract(t *testing.T) {
	var doc map[string]any
	if err := encjson.Unmarshal(render(t, reporttest.Result(t), reporttest.Options(t)), &doc); err != nil {
		t.Fatal(err)
	}
	requireKeys(t, "document", doc, "findings", "summary", "notEvaluated", "errors")
	if _, ok := doc["suppressed"]; ok {
		t.Error("suppressed list present without ShowSuppressed")
	}
	findings, ok := doc["findings"].([]any)
	if !ok || len(findings) != 8 {
		t.Fatalf("findings = %T of len %d, want 8 findings", doc["findings"], len(findings))
	}
	var web map[string]any
	for i, raw := range findings {
		f, ok := raw.(map[string]any)
		if !ok {
			t.Fatalf("finding %d is %T", i, raw)
		}
		requireKeys(t, "finding", f, "rule", "category", "severity", "resource", "message", "source")
		for _, k := range []string{"rule", "category", "severity", "message"} {
			if _, ok := f[k].(string); !ok {
				t.Errorf("finding %d: %s is %T, want string", i, k, f[k])
			}
		}
		res, _ := f["resource"].(map[string]any)
		requireKeys(t, "resource", res, "apiVersion", "kind", "namespace", "name")
		src, _ := f["source"].(map[string]any)
		requireKeys(t, "source", src, "file", "line")
		if _, ok := src["line"].(float64); !ok {
			t.Errorf("finding %d: source.line is %T, want a number", i, src["line"])
		}
		if res["kind"] == "Deployment" && f["rule"] == "privileged-container" {
			web = f
		}
	}
	// The example of the issue, value by value.
	want := map[string]any{
		"rule": "privileged-container", "category": "pod-security", "severity": "critical",
		"resource": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
		"message":  `container "app" runs privileged`,
		"source":   map[string]any{"file": "manifests/shop.yaml", "line": float64(12)},
	}
	for k, v := range want {
		if !reflect.DeepEqual(web[k], v) {
			t.Errorf("web finding %s = %#v, want %#v", k, web[k], v)
		}
	}
	// Added fields: the rule's remediation, as the fixture rule states it,
	// and the fingerprint of the finding.
	if got := web["remediation"]; got != "Remove securityContext.privileged or set it to false." {
		t.Errorf("web finding remediation = %#v", got)
	}
	for i, raw := range findings {
		want := finding.Fingerprint(&reporttest.Result(t).Findings[i])
		if got := raw.(map[string]any)["fingerprint"]; got != want {
			t.Errorf("finding %d: fingerprint %#v, want %q", i, got, want)
		}
	}

	// Live-cluster object: no file, line 0, namespace "" for a
	// cluster-scoped kind, and the cluster named.
	first := findings[0].(map[string]any)
	if got := first["source"]; !reflect.DeepEqual(got, map[string]any{"file": "", "line": float64(0), "cluster": "prod-eu"}) {
		t.Errorf("live-cluster source = %#v", got)
	}
	if ns := first["resource"].(map[string]any)["namespace"]; ns != "" {
		t.Errorf("cluster-scoped namespace = %#v, want \"\"", ns)
	}

	sum, _ := doc["summary"].(map[string]any)
	requireKeys(t, "summary", sum, "objects", "rules", "findings", "bySeverity", "suppressed", "notEvaluated", "inputErrors", "partial")
	wantSum := map[string]any{"objects": float64(9), "rules": float64(7), "findings": float64(8), "suppressed": float64(2),
		"notEvaluated": float64(2), "inputErrors": float64(2), "partial": true,
		"bySeverity": map[string]any{"critical": float64(2), "high": float64(2), "medium": float64(2), "low": float64(1), "info": float64(1)}}
	byRule, _ := sum["byRule"].([]any)
	delete(sum, "byRule")
	var order []string
	for _, r := range byRule {
		order = append(order, fmt.Sprint(r.(map[string]any)["rule"], ":", r.(map[string]any)["findings"]))
	}
	// Most severe first: two critical, then high (by ID), medium, low, info.
	if got := strings.Join(order, " "); got != "privileged-container:2 rbac-wildcard-verbs:1 service-exposes-ssh:1 image-latest-tag:2 image-digest-missing:1 namespace-default:1" {
		t.Errorf("summary.byRule = %s", got)
	}
	if !reflect.DeepEqual(sum, wantSum) {
		t.Errorf("summary = %#v\nwant      %#v", sum, wantSum)
	}
	errs, _ := doc["errors"].([]any)
	if len(errs) != 2 || !reflect.DeepEqual(errs[0], map[string]any{"file": "manifests/bad.yaml", "line": float64(7), "message": "yaml: mapping values are not allowed in this context"}) {
		t.Errorf("errors = %#v", errs)
	}
	ne, _ := doc["notEvaluated"].([]any)
	if len(ne) != 2 || !reflect.DeepEqual(ne[1], map[string]any{"subject": "secrets", "namespace": "prod", "reason": `forbidden: User "ci" cannot list resource "secrets"`, "permission": "list secrets"}) {
		t.Errorf("notEvaluated = %#v", ne)
	}
}

// TestEmptyListsAreArrays: consumers iterate without null checks.
func TestEmptyListsAreArrays(t *testing.T) {
	out := string(render(t, reporttest.Empty(t), report.Options{ShowSuppressed: true}))
	for _, want := range []string{`"findings": []`, `"suppressed": []`, `"notEvaluated": []`, `"errors": []`, `"partial": false`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "}\n") || !strings.HasPrefix(out, "{\n  \"findings\"") {
		t.Errorf("want an indented document starting with findings and ending in a newline:\n%s", out)
	}
}

// TestTextRoundTrips: quotes, <, & and non-ASCII survive exactly, and
// the raw text is not HTML-escaped.
func TestTextRoundTrips(t *testing.T) {
	res := reporttest.Result(t)
	opts := reporttest.Options(t)
	opts.ShowSuppressed = true
	raw := render(t, res, opts)
	if bytes.Contains(raw, []byte(`\u003c`)) || bytes.Contains(raw, []byte(`\u0026`)) {
		t.Error("< or & was HTML-escaped")
	}
	var doc struct {
		Findings []struct {
			Message string `json:"message"`
		} `json:"findings"`
		Suppressed []struct {
			Suppression struct {
				By, Reason, Expires string
			} `json:"suppression"`
		} `json:"suppressed"`
	}
	if err := encjson.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for i, f := range res.Findings {
		if doc.Findings[i].Message != f.Message {
			t.Errorf("message %d = %q, want %q", i, doc.Findings[i].Message, f.Message)
		}
	}
	if len(doc.Suppressed) != 2 {
		t.Fatalf("suppressed = %d, want 2", len(doc.Suppressed))
	}
	for i, f := range res.Suppressed {
		got := doc.Suppressed[i].Suppression
		if got.By != f.Suppressed.By || got.Reason != f.Suppressed.Reason || got.Expires != f.Suppressed.Expires {
			t.Errorf("suppression %d = %+v, want %+v", i, got, *f.Suppressed)
		}
	}
}

// TestBaselineAndFiltered: with a baseline every finding says whether it
// is new, the fixed ones are listed, and the summary counts both; without
// one, none of those keys appear.
func TestBaselineAndFiltered(t *testing.T) {
	res := reporttest.Result(t)
	gone := res.Findings[0]
	gone.Resource.Name = "old-admin"
	opts := reporttest.Options(t)
	opts.Baseline = reporttest.Baseline(t, res.Findings[2], gone)
	opts.Filtered = report.Filtered{Count: 4, By: "--min-severity high"}
	var doc struct {
		Findings []map[string]any `json:"findings"`
		Fixed    []map[string]any `json:"fixed"`
		Summary  struct {
			Baseline map[string]any `json:"baseline"`
			Filtered map[string]any `json:"filtered"`
		} `json:"summary"`
	}
	if err := encjson.Unmarshal(render(t, res, opts), &doc); err != nil {
		t.Fatal(err)
	}
	for i, f := range doc.Findings {
		want := "new"
		if i == 2 {
			want = "unchanged"
		}
		if f["baseline"] != want {
			t.Errorf("finding %d: baseline = %v, want %s", i, f["baseline"], want)
		}
	}
	if len(doc.Fixed) != 1 || doc.Fixed[0]["resource"].(map[string]any)["name"] != "old-admin" || doc.Fixed[0]["fingerprint"] != finding.Fingerprint(&gone) {
		t.Errorf("fixed = %v", doc.Fixed)
	}
	if !reflect.DeepEqual(doc.Summary.Baseline, map[string]any{"file": "baseline.json", "new": float64(7), "unchanged": float64(1), "fixed": float64(1)}) {
		t.Errorf("summary.baseline = %v", doc.Summary.Baseline)
	}
	if !reflect.DeepEqual(doc.Summary.Filtered, map[string]any{"findings": float64(4), "by": "--min-severity high"}) {
		t.Errorf("summary.filtered = %v", doc.Summary.Filtered)
	}

	raw := string(render(t, res, reporttest.Options(t)))
	for _, key := range []string{`"baseline"`, `"fixed"`, `"filtered"`} {
		if strings.Contains(raw, key) {
			t.Errorf("%s present without a baseline or filter", key)
		}
	}
}
