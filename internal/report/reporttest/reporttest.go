package reporttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

// Update is set by `go test ./internal/report/... -update`: golden files
// are rewritten instead of compared. Review the diff by hand afterwards.
var Update = flag.Bool("update", false, "rewrite golden files under testdata/")

// The rules of the fixture, with complete metadata so that formats which
// describe rules (SARIF, JUnit) have something real to render.
func fixtureRules() []*rules.Rule {
	obj := func(p *rules.Pass, o *inventory.Object) {}
	return []*rules.Rule{
		{
			ID: "privileged-container", Category: finding.CategoryPodSecurity, Severity: finding.SeverityCritical,
			Title:       "Privileged container",
			Rationale:   "A privileged container has every capability of the host's root user & can escape to the node.",
			Remediation: "Remove securityContext.privileged or set it to false.",
			References: finding.References{
				CIS: []string{"5.2.2"}, NSA: []string{"Pod security: non-root containers"}, MITRE: []string{"T1611"},
				PSS: "baseline: Privileged Containers", URLs: []string{"https://kubernetes.io/docs/concepts/security/pod-security-standards/"},
			},
			CheckObject: obj,
		},
		{
			ID: "image-digest-missing", Category: finding.CategoryImages, Severity: finding.SeverityLow,
			Title:       "Image not pinned by digest",
			Rationale:   "A tag can be moved to different content; a digest cannot.",
			Remediation: "Reference images as name@sha256:<digest>.",
			References:  finding.References{URLs: []string{"https://kubernetes.io/docs/concepts/containers/images/"}},
			CheckObject: obj,
		},
		{
			ID: "image-latest-tag", Category: finding.CategoryImages, Severity: finding.SeverityMedium,
			Title:       "Image uses the latest tag or no tag",
			Rationale:   "\"latest\" changes under you, so what runs is not what was reviewed.",
			Remediation: "Pin a version tag, or better a digest.",
			References:  finding.References{NSA: []string{"Container images"}},
			CheckObject: obj,
		},
		{
			ID: "namespace-default", Category: finding.CategoryIsolation, Severity: finding.SeverityInfo,
			Title:       "Object in the default namespace",
			Rationale:   "The default namespace mixes unrelated workloads.",
			Remediation: "Give the object a dedicated namespace.",
			References:  finding.References{CIS: []string{"5.7.4"}},
			CheckObject: obj,
		},
		{
			ID: "quota-missing", Category: finding.CategoryIsolation, Severity: finding.SeverityMedium,
			Title:          "Namespace without ResourceQuota",
			Rationale:      "Without a quota one workload can starve the others.",
			Remediation:    "Add a ResourceQuota to every namespace that runs workloads.",
			References:     finding.References{CIS: []string{"5.7.1"}},
			CheckInventory: func(p *rules.Pass) {},
		},
		{
			ID: "rbac-wildcard-verbs", Category: finding.CategoryRBAC, Severity: finding.SeverityHigh,
			Title:       "Role grants every verb",
			Rationale:   "A wildcard verb grants today's and tomorrow's verbs, including escalate and impersonate.",
			Remediation: "List the verbs the subject needs.",
			References:  finding.References{CIS: []string{"5.1.3"}, MITRE: []string{"T1078"}},
			CheckObject: obj,
		},
		{
			ID: "service-exposes-ssh", Category: finding.CategoryExposure, Severity: finding.SeverityHigh,
			Title:       "Service exposes SSH",
			Rationale:   "An SSH port reachable from anywhere invites brute force.",
			Remediation: "Remove the port or restrict loadBalancerSourceRanges.",
			References:  finding.References{URLs: []string{"https://kubernetes.io/docs/concepts/services-networking/service/"}},
			CheckObject: obj,
		},
	}
}

// Registry returns a registry of the fixture's rules.
func Registry(t testing.TB) *rules.Registry {
	t.Helper()
	reg, err := rules.NewRegistry(fixtureRules())
	if err != nil {
		t.Fatalf("fixture rules are invalid: %v", err)
	}
	return reg
}

// Result returns the fixture scan result, as scan.Run would have produced
// it (findings sorted, rules in registry order). Every call returns a fresh
// value.
func Result(t testing.TB) *scan.Result {
	t.Helper()
	reg := Registry(t)
	get := func(id string) *rules.Rule {
		r, ok := reg.Get(id)
		if !ok {
			t.Fatalf("fixture: no rule %s", id)
		}
		return r
	}
	mk := func(id string, ref inventory.Ref, src inventory.Source, field, msg string) finding.Finding {
		r := get(id)
		return finding.Finding{
			Rule: r.ID, Category: r.Category, Severity: r.Severity, Title: r.Title,
			Resource: ref, Message: msg, Field: field, Source: src,
		}
	}
	clusterRole := inventory.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "ops-admin"}
	debugPod := inventory.Ref{APIVersion: "v1", Kind: "Pod", Name: "debug-shell"}
	web := inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	lb := inventory.Ref{APIVersion: "v1", Kind: "Service", Namespace: "shop", Name: "web-lb"}
	toolbox := inventory.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "dev", Name: "toolbox"}

	live := inventory.Source{Cluster: "prod-eu"}
	podFile := inventory.Source{File: "manifests/my app/pod.yaml", Line: 1}
	webFile := inventory.Source{File: "manifests/shop.yaml", Line: 12}
	lbFile := inventory.Source{File: "manifests/shop.yaml", Line: 48}
	devFile := inventory.Source{File: "manifests/dev.yaml", Line: 5}

	findings := []finding.Finding{
		mk("service-exposes-ssh", lb, lbFile, "spec.ports[1]",
			`port 22 ("ssh") is open to 0.0.0.0/0 & every "LoadBalancer" <client>`),
		mk("image-latest-tag", web, webFile, "spec.template.spec.containers[1].image",
			`container "log-shipper" uses image "busybox" with no tag, which means "latest"`),
		mk("privileged-container", web, webFile, "spec.template.spec.containers[0].securityContext.privileged",
			`container "app" runs privileged`),
		mk("image-latest-tag", web, webFile, "spec.template.spec.containers[0].image",
			`container "app" uses image "nginx:latest"`),
		mk("image-digest-missing", web, webFile, "spec.template.spec.containers[0].image",
			`container "app" image "nginx:latest" is not pinned by digest`),
		mk("namespace-default", debugPod, podFile, "metadata.namespace",
			`Pod "debug-shell" has no namespace and lands in "default"`),
		mk("privileged-container", debugPod, podFile, "spec.containers[0].securityContext.privileged",
			`container "shell" runs privileged — naïve débogage 🐛`),
		mk("rbac-wildcard-verbs", clusterRole, live, "rules[0].verbs",
			`ClusterRole grants verbs ["*"] on "secrets" → anyone bound to it can read every Secret`),
	}
	suppressed := []finding.Finding{
		mk("privileged-container", toolbox, devFile, "spec.containers[0].securityContext.privileged",
			`container "strace" runs privileged`),
		mk("image-latest-tag", toolbox, devFile, "spec.containers[0].image",
			`container "strace" uses image "toolbox:latest"`),
	}
	suppressed[0].Suppressed = &finding.Suppression{By: "annotation", Reason: `needed for "strace" <ptrace> & perf — ticket SEC-42`}
	suppressed[1].Suppressed = &finding.Suppression{By: "config", Reason: "dev images float by design", Expires: "2027-01-31"}
	finding.SortFindings(findings)
	finding.SortFindings(suppressed)

	return &scan.Result{
		Findings:   findings,
		Suppressed: suppressed,
		NotEvaluated: []finding.NotEvaluated{
			{Subject: "rule quota-missing", Reason: "internal error: runtime error: invalid memory address or nil pointer dereference"},
			{Subject: "secrets", Namespace: "prod", Reason: `forbidden: User "ci" cannot list resource "secrets"`, Permission: "list secrets"},
		},
		Rules:   reg.Rules(),
		Objects: 9,
	}
}

// Options returns report options for the fixture: two input errors, a
// fixed tool version and the fixture registry.
func Options(t testing.TB) report.Options {
	t.Helper()
	return report.Options{
		ToolVersion: "1.2.3-test",
		Registry:    Registry(t),
		InputErrors: []*inventory.InputError{
			{File: "manifests/bad.yaml", Line: 7, Err: errors.New("yaml: mapping values are not allowed in this context")},
			{File: "manifests/huge.json", Err: errors.New("file is larger than the 33554432-byte limit")},
		},
	}
}

// Empty returns a result with nothing to report: 3 objects, every fixture
// rule ran, no findings.
func Empty(t testing.TB) *scan.Result {
	t.Helper()
	return &scan.Result{Rules: Registry(t).Rules(), Objects: 3}
}

// Baseline returns a baseline holding exactly fs, read through the JSON
// report writer's contract (a kguard JSON document), the way --baseline
// reads a file.
func Baseline(t testing.TB, fs ...finding.Finding) *report.Baseline {
	t.Helper()
	type ref = inventory.Ref
	type doc struct {
		Findings []map[string]any  `json:"findings"`
		Tool     map[string]string `json:"tool"`
	}
	d := doc{Findings: []map[string]any{}, Tool: map[string]string{"name": "kguard"}}
	for i := range fs {
		f := &fs[i]
		d.Findings = append(d.Findings, map[string]any{
			"rule": f.Rule, "severity": f.Severity.String(), "title": f.Title,
			"resource": ref(f.Resource), "message": f.Message, "field": f.Field,
			"source": f.Source, "fingerprint": finding.Fingerprint(f),
		})
	}
	raw, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := report.ReadBaseline(bytes.NewReader(raw), "baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Frameworks returns a framework verdict for the fixture, built by hand so
// that every status appears: two failing controls, a passing one, one not
// evaluated and a manual one. Score: 1 pass of 3 judged, 33.3%.
func Frameworks(t testing.TB) []*framework.Result {
	t.Helper()
	f, err := framework.Parse([]byte(`name: test-benchmark
title: Test Benchmark
version: v1.0
mapping: 2
source: "Test Benchmark v1.0, the reporttest fixture"
url: https://example.com/benchmark
key: cis
sections:
  - id: "5.1"
    title: RBAC
    controls:
      - {id: "5.1.3", title: "Minimize wildcard use in Roles & ClusterRoles"}
      - {id: "5.1.7", title: "Avoid use of system:masters group", manual: true}
  - id: "5.2"
    title: Pods <and> more
    controls:
      - {id: "5.2.2", title: "Minimize the admission of privileged containers"}
      - {id: "5.2.9", title: "Minimize the admission of containers with capabilities assigned"}
      - {id: "5.7.1", title: "Create administrative boundaries"}
`))
	if err != nil {
		t.Fatal(err)
	}
	return []*framework.Result{{
		Framework: f,
		Controls: []framework.ControlResult{
			{ID: "5.1.3", Title: f.Sections[0].Controls[0].Title, SectionID: "5.1", Section: "RBAC", Status: framework.Fail,
				Rules: []string{"rbac-wildcard-verbs"}, Failing: []framework.RuleFindings{{Rule: "rbac-wildcard-verbs", Findings: 1}}, Findings: 1},
			{ID: "5.1.7", Title: f.Sections[0].Controls[1].Title, SectionID: "5.1", Section: "RBAC", Status: framework.Manual,
				Reason: "a manual check: no kguard rule covers it"},
			{ID: "5.2.2", Title: f.Sections[1].Controls[0].Title, SectionID: "5.2", Section: "Pods <and> more", Status: framework.Fail,
				Rules: []string{"privileged-container"}, Failing: []framework.RuleFindings{{Rule: "privileged-container", Findings: 2}}, Findings: 2},
			{ID: "5.2.9", Title: f.Sections[1].Controls[1].Title, SectionID: "5.2", Section: "Pods <and> more", Status: framework.Pass,
				Rules: []string{"service-exposes-ssh"}},
			{ID: "5.7.1", Title: f.Sections[1].Controls[2].Title, SectionID: "5.2", Section: "Pods <and> more", Status: framework.NotEvaluated,
				Rules: []string{"quota-missing"}, Reason: "rule quota-missing could not be evaluated: internal error"},
		},
		Pass: 1, Fail: 2, NotEvaluated: 1, Manual: 1, Score: 100.0 / 3, HasScore: true, Partial: true,
	}}
}

// Golden compares got with testdata/<name>, or rewrites the file when
// -update is set.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (rerun with -update and review the diff):\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first line where want and got differ, which is
// enough to find the problem without a diff library.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, w, g)
		}
	}
	return "(same lines; line endings differ)"
}
