package junit

import (
	"bytes"
	"encoding/xml"
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
	t.Run("empty", func(t *testing.T) {
		reporttest.Golden(t, "empty.golden", render(t, reporttest.Empty(t), report.Options{}))
	})
}

// parse reads the report back with encoding/xml, as a CI system would, and
// checks that the declared counters match the elements present.
func parse(t *testing.T, out []byte) testSuites {
	t.Helper()
	// Tokenising the whole document catches malformed XML that Unmarshal
	// into a struct might skip over.
	dec := xml.NewDecoder(bytes.NewReader(out))
	for {
		_, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("report is not well-formed XML: %v\n%s", err, out)
		}
	}
	var doc testSuites
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	var tests, failures, errors, skipped int
	for _, s := range doc.Suites {
		var f, e, sk int
		for _, c := range s.Cases {
			set := 0
			if c.Failure != nil {
				f++
				set++
			}
			if c.Error != nil {
				e++
				set++
			}
			if c.Skipped != nil {
				sk++
				set++
			}
			if set > 1 {
				t.Errorf("case %q has more than one outcome", c.Name)
			}
		}
		if s.Tests != len(s.Cases) || s.Failures != f || s.Errors != e || s.Skipped != sk {
			t.Errorf("suite %s declares %d/%d/%d/%d, has %d/%d/%d/%d", s.Name, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), f, e, sk)
		}
		tests, failures, errors, skipped = tests+s.Tests, failures+s.Failures, errors+s.Errors, skipped+s.Skipped
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != errors || doc.Skipped != skipped {
		t.Errorf("testsuites declares %d/%d/%d/%d, suites add up to %d/%d/%d/%d", doc.Tests, doc.Failures, doc.Errors, doc.Skipped, tests, failures, errors, skipped)
	}
	return doc
}

func TestFixtureShape(t *testing.T) {
	doc := parse(t, render(t, reporttest.Result(t), reporttest.Options(t)))
	// Worked out by hand from the fixture: see the package doc for the
	// layout. pod-security: 2 failing objects + 1 suppressed; images:
	// image-digest-missing 1 + image-latest-tag 1 (two findings on one
	// object) + 1 suppressed; isolation: 1 failing + quota-missing passes;
	// rbac 1; exposure 1; 2 not evaluated; 2 input errors.
	if doc.Tests != 14 || doc.Failures != 7 || doc.Errors != 4 || doc.Skipped != 2 {
		t.Errorf("totals = %d tests, %d failures, %d errors, %d skipped; want 14, 7, 4, 2", doc.Tests, doc.Failures, doc.Errors, doc.Skipped)
	}
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
	}
	want := "kguard.pod-security kguard.images kguard.isolation kguard.rbac kguard.exposure kguard.not-evaluated kguard.inputs"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("suites = %s\nwant     %s", got, want)
	}

	cases := map[string]testCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			cases[c.Name] = c
		}
	}
	latest := cases["image-latest-tag on Deployment shop/web"]
	if latest.Failure == nil || latest.Failure.Type != "medium" || latest.Classname != "kguard.images.image-latest-tag" || latest.File != "manifests/shop.yaml" {
		t.Fatalf("image-latest-tag case = %+v", latest)
	}
	if !strings.HasPrefix(latest.Failure.Message, `2 findings: container "app" uses image "nginx:latest"; container "log-shipper"`) {
		t.Errorf("message = %q", latest.Failure.Message)
	}
	for _, want := range []string{"Deployment shop/web (apps/v1) at manifests/shop.yaml:12", "(field: spec.template.spec.containers[1].image)", "Fix: Pin a version tag, or better a digest.", "docs/rules.md#image-latest-tag"} {
		if !strings.Contains(latest.Failure.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, latest.Failure.Body)
		}
	}
	// Tricky characters survive the round trip exactly.
	ssh := cases["service-exposes-ssh on Service shop/web-lb"]
	if ssh.Failure == nil || ssh.Failure.Message != `port 22 ("ssh") is open to 0.0.0.0/0 & every "LoadBalancer" <client>` || ssh.Failure.Type != "high" {
		t.Errorf("ssh case = %+v", ssh.Failure)
	}
	live := cases["rbac-wildcard-verbs on ClusterRole ops-admin"]
	if live.Failure == nil || live.File != "" || !strings.Contains(live.Failure.Body, "at cluster prod-eu") {
		t.Errorf("live-cluster case = %+v", live)
	}
	if c := cases["quota-missing: no findings"]; c.Failure != nil || c.Error != nil || c.Skipped != nil {
		t.Errorf("rule without findings should pass: %+v", c)
	}
	sup := cases["privileged-container on Pod dev/toolbox (suppressed)"]
	if sup.Skipped == nil || sup.Skipped.Message != `suppressed by annotation kguard.io/ignore: needed for "strace" <ptrace> & perf — ticket SEC-42` {
		t.Errorf("suppressed case = %+v", sup)
	}
	ne := cases["secrets in namespace prod"]
	if ne.Error == nil || ne.Error.Type != "not-evaluated" || !strings.Contains(ne.Error.Body, "missing permission: list secrets") {
		t.Errorf("not-evaluated case = %+v", ne)
	}
	in := cases["manifests/bad.yaml:7"]
	if in.Error == nil || in.Error.Type != "input-error" || in.File != "manifests/bad.yaml" {
		t.Errorf("input error case = %+v", in)
	}
}

// TestHostileText: control characters, invalid UTF-8 and a CDATA
// terminator inside a message still give well-formed XML.
func TestHostileText(t *testing.T) {
	res := reporttest.Result(t)
	res.Findings[0].Message = "nul\x00 esc\x1b bad\xff end]]>tail"
	res.Findings[0].Field = "a]]>b"
	res.NotEvaluated[0].Reason = "bell\x07"
	doc := parse(t, render(t, res, reporttest.Options(t)))
	var body, msg string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Name == "rbac-wildcard-verbs on ClusterRole ops-admin" {
				body, msg = c.Failure.Body, c.Failure.Message
			}
		}
	}
	if want := "nul\uFFFD esc\uFFFD bad\uFFFD end]]>tail"; msg != want || !strings.Contains(body, want) || !strings.Contains(body, "(field: a]]>b)") {
		t.Errorf("message %q, body %q", msg, body)
	}
}

func TestCleanScan(t *testing.T) {
	doc := parse(t, render(t, reporttest.Empty(t), report.Options{}))
	if doc.Failures != 0 || doc.Errors != 0 || doc.Skipped != 0 || doc.Tests != 7 {
		t.Errorf("clean scan: %d tests (want one passing case per rule, 7), %d failures, %d errors", doc.Tests, doc.Failures, doc.Errors)
	}
	// A partial scan is never all green.
	res := reporttest.Empty(t)
	res.NotEvaluated = []finding.NotEvaluated{{Subject: "rule x", Reason: "panic"}}
	if doc := parse(t, render(t, res, report.Options{})); doc.Errors != 1 {
		t.Errorf("not-evaluated entry gave %d errors, want 1", doc.Errors)
	}
}

// TestFailuresFollowTheGate: with --fail-on high, LOW and MEDIUM findings
// are passing cases that still carry their text, and the failure count is
// the number of (rule, object) pairs at high or above: worked out from the
// fixture by hand (privileged-container on two objects, rbac-wildcard-verbs,
// service-exposes-ssh).
func TestFailuresFollowTheGate(t *testing.T) {
	opts := reporttest.Options(t)
	opts.Gate = report.Gate{Min: finding.SeverityHigh}
	doc := parse(t, render(t, reporttest.Result(t), opts))
	if doc.Failures != 4 {
		t.Errorf("%d failures with --fail-on high, want 4", doc.Failures)
	}
	cases := map[string]testCase{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			cases[c.Name] = c
		}
	}
	latest := cases["image-latest-tag on Deployment shop/web"]
	if latest.Failure != nil || !strings.Contains(latest.SystemOut, `container "app" uses image "nginx:latest"`) || !strings.Contains(latest.SystemOut, "below the failure threshold") {
		t.Errorf("medium finding under --fail-on high = %+v", latest)
	}
	if c := cases["privileged-container on Deployment shop/web"]; c.Failure == nil || c.SystemOut != "" {
		t.Errorf("critical finding under --fail-on high = %+v", c)
	}

	opts.Gate = report.Gate{None: true}
	if doc := parse(t, render(t, reporttest.Result(t), opts)); doc.Failures != 0 {
		t.Errorf("%d failures with --fail-on none, want 0", doc.Failures)
	}
}

// TestFailOnNew: with a baseline that already has the critical finding on
// Deployment shop/web, only the other critical one (Pod debug-shell) is
// new, so it is the only failure at --fail-on critical --fail-on-new.
func TestFailOnNew(t *testing.T) {
	res := reporttest.Result(t)
	var web finding.Finding
	for _, f := range res.Findings {
		if f.Rule == "privileged-container" && f.Resource.Name == "web" {
			web = f
		}
	}
	base := reporttest.Baseline(t, web)
	opts := reporttest.Options(t)
	opts.Baseline = base
	opts.Gate = report.Gate{Min: finding.SeverityCritical, NewOnly: true}
	doc := parse(t, render(t, res, opts))
	var failing []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				failing = append(failing, c.Name)
			}
		}
	}
	if strings.Join(failing, ",") != "privileged-container on Pod debug-shell" {
		t.Errorf("failing cases = %q", failing)
	}
	opts.Gate.NewOnly = false
	if doc := parse(t, render(t, res, opts)); doc.Failures != 2 {
		t.Errorf("without --fail-on-new: %d failures, want 2", doc.Failures)
	}
}

// TestFrameworkSuite: one case per control; failing controls fail only
// when their findings fail the gate, not evaluated and manual ones are
// skipped with the reason.
func TestFrameworkSuite(t *testing.T) {
	opts := reporttest.Options(t)
	opts.Frameworks = reporttest.Frameworks(t)
	doc := parse(t, render(t, reporttest.Result(t), opts))
	var suite *testSuite
	for i := range doc.Suites {
		if doc.Suites[i].Name == "kguard.framework.test-benchmark" {
			suite = &doc.Suites[i]
		}
	}
	if suite == nil {
		t.Fatal("no framework suite")
	}
	if suite.Tests != 5 || suite.Failures != 2 || suite.Skipped != 2 {
		t.Errorf("suite = %d tests, %d failures, %d skipped; want 5, 2, 2", suite.Tests, suite.Failures, suite.Skipped)
	}
	if c := suite.Cases[4]; c.Skipped == nil || c.Skipped.Message != "not evaluated: rule quota-missing could not be evaluated: internal error" {
		t.Errorf("not evaluated case = %+v", c)
	}
	// With --fail-on critical the RBAC control (a high finding) passes,
	// the privileged one (critical) still fails.
	opts.Gate = report.Gate{Min: finding.SeverityCritical}
	doc = parse(t, render(t, reporttest.Result(t), opts))
	for _, s := range doc.Suites {
		if s.Name != "kguard.framework.test-benchmark" {
			continue
		}
		if s.Failures != 1 || s.Cases[0].Failure != nil || !strings.Contains(s.Cases[0].SystemOut, "below the failure threshold") || s.Cases[2].Failure == nil {
			t.Errorf("under --fail-on critical: %d failures, cases %+v", s.Failures, s.Cases[:3])
		}
	}
}
