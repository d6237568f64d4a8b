package html

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/reporttest"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
)

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func render(t testing.TB, res *scan.Result, opts report.Options) string {
	t.Helper()
	opts.Now = fixedNow
	var b bytes.Buffer
	if err := Write(&b, res, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// exampleScan scans the bundled example the way kguard scan -o html does:
// the whole registry, the analyses kept for the pictures.
func exampleScan(t testing.TB) (*scan.Result, report.Options) {
	t.Helper()
	loaded, err := inventory.Load(context.Background(), []string{"../../../examples"}, inventory.LoadOptions{})
	if err != nil || len(loaded.Errors) > 0 {
		t.Fatalf("load examples: %v %v", err, loaded.Errors)
	}
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	memo := analysis.NewMemo(loaded.Inventory)
	res, err := scan.Run(context.Background(), loaded.Inventory, scan.Options{Registry: reg, Analyses: memo})
	if err != nil {
		t.Fatal(err)
	}
	return res, report.Options{Registry: reg, Analyses: memo, ToolVersion: "test", ShowSuppressed: true}
}

// external matches anything that would make the page load something:
// an external src or href, a remote url() or an @import.
var external = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:|//|data:text)|url\(\s*["']?\s*(https?:|//)|@import|<link\b|<iframe\b|<object\b|<embed\b`)

func TestSelfContained(t *testing.T) {
	res, opts := exampleScan(t)
	page := render(t, res, opts)
	if m := external.FindString(page); m != "" {
		t.Errorf("the page would load something: %q", m)
	}
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`,
		`id="overview"`, `id="categories"`, `id="heatmap"`, `id="toprules"`, `id="framework-scores"`,
		`id="findings"`, `id="frameworks"`, `id="rbac"`, `<svg class="paths"`, `id="network"`, `<table class="matrix">`, `id="problems"`,
		"CIS Kubernetes Benchmark v1.12.0", "MITRE ATT&amp;CK (Containers) v17",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Count(page, "<script") != 2 { // the data block and the explorer
		t.Errorf("%d script elements, want 2", strings.Count(page, "<script"))
	}
	data := dataBlock(t, page)
	if n := len(data.Findings); n != len(res.Findings)+len(res.Suppressed) {
		t.Errorf("data holds %d findings, want %d", n, len(res.Findings)+len(res.Suppressed))
	}
}

type data struct {
	Rules    [][]any `json:"rules"`
	Objects  [][]any `json:"objects"`
	Fields   []string
	Findings [][]any `json:"findings"`
}

func dataBlock(t testing.TB, page string) data {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script id="kg-data" type="application/x-kguard-findings" data-encoding="gzip\+base64">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no data block")
	}
	raw, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatalf("data block is not base64: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var d data
	if err := json.NewDecoder(zr).Decode(&d); err != nil {
		t.Fatalf("data block is not JSON: %v", err)
	}
	return d
}

// TestHostileText: text from manifests cannot close the data block or
// inject markup anywhere in the page.
func TestHostileText(t *testing.T) {
	res := reporttest.Result(t)
	res.Findings[0].Message = `</script><script>alert(1)</script><img src=x onerror=alert(2)>`
	res.Findings[1].Resource.Name = `"><svg onload=alert(3)>`
	res.Findings[1].Resource.Namespace = `<b>ns</b>`
	page := render(t, res, reporttest.Options(t))
	for _, bad := range []string{"<script>alert(1)", "<img src=x", "<svg onload", "<b>ns</b>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds raw %q", bad)
		}
	}
	d := dataBlock(t, page)
	found := false
	for _, f := range d.Findings {
		found = found || f[4] == res.Findings[0].Message
	}
	if !found {
		t.Error("the message did not survive the round trip through the data block")
	}
}

// TestSizeAt100k: 100,000 findings stay well under 20 MB (the data block
// is compressed; uncompressed it would be about 16 MB).
func TestSizeAt100k(t *testing.T) {
	page := render(t, bigResult(t, 100_000), reporttest.Options(t))
	if len(page) > 20<<20 {
		t.Errorf("page of 100,000 findings is %d bytes, over 20 MB", len(page))
	}
	m := regexp.MustCompile(`(?s)data-encoding="gzip\+base64">(.*?)</script>`).FindStringSubmatch(page)
	raw, _ := base64.StdEncoding.DecodeString(m[1])
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("100,000 findings: page %d bytes, findings JSON %d bytes before compression", len(page), len(plain))
}

// bigResult is a scan result of n findings spread like a large cluster's:
// 40 rules, 300 namespaces, five objects a namespace per rule on average,
// messages as rules write them. Every 1000th finding mentions "needle".
func bigResult(t testing.TB, n int) *scan.Result {
	t.Helper()
	reg := reporttest.Registry(t)
	rs := reg.Rules()
	res := &scan.Result{Rules: rs, Objects: n / 3}
	for i := 0; i < n; i++ {
		r := rs[i%len(rs)]
		ns := fmt.Sprintf("team-%03d", (i/7)%300)
		name := fmt.Sprintf("svc-%05d", i/3)
		msg := fmt.Sprintf("container %q uses image \"registry.example.com/%s/%s:1.%d\" and breaks %s", "app", ns, name, i%50, r.ID)
		if i%1000 == 0 {
			msg += " needle"
		}
		res.Findings = append(res.Findings, finding.Finding{
			Rule: r.ID, Category: r.Category, Severity: finding.Severity(i % 5), Title: r.Title,
			Resource: inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name},
			Message:  msg, Field: fmt.Sprintf("spec.template.spec.containers[%d].image", i%3),
			Source: inventory.Source{File: "clusters/prod/" + ns + ".yaml", Line: 1 + (i/3)%400},
		})
	}
	finding.SortFindings(res.Findings)
	return res
}

func BenchmarkWrite100k(b *testing.B) {
	res := bigResult(b, 100_000)
	opts := reporttest.Options(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := Write(&buf, res, opts); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
