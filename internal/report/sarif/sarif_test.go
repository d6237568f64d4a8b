package sarif

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
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
		reporttest.Golden(t, "empty.golden", render(t, reporttest.Empty(t), report.Options{ToolVersion: "1.2.3-test"}))
	})
}

// schema compiles the SARIF 2.1.0 JSON schema kept in testdata (the OASIS
// document, see testdata/README.md), with format assertions on so that
// "uri" and "uri-reference" values are checked too.
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	const id = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(id)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, out []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return sch.Validate(inst)
}

// TestValidatesAgainstSchema: every shape kguard writes is valid SARIF
// 2.1.0, including odd paths (absolute, a colon in the first segment,
// spaces and non-ASCII, standard input) and empty results.
func TestValidatesAgainstSchema(t *testing.T) {
	sch := schema(t)
	odd := reporttest.Result(t)
	odd.Findings[1].Source.File = "/abs/dir/with space/ünïcode#1.yaml"
	odd.Findings[2].Source.File = "a:b.yaml"
	odd.Findings[3].Source = inventory.Source{File: "-", Line: 3}
	odd.Findings[4].Source = inventory.Source{File: "no-line.yaml"}
	oddOpts := reporttest.Options(t)
	oddOpts.InputErrors = append(oddOpts.InputErrors, &inventory.InputError{File: "-", Line: 2, Err: os.ErrInvalid})
	unknownRule := reporttest.Result(t)
	unknownRule.Findings[0].Rule = "not-in-any-registry"
	withBaseline := reporttest.Options(t)
	withBaseline.Baseline = reporttest.Baseline(t, reporttest.Result(t).Findings[2])
	withFrameworks := reporttest.Options(t)
	withFrameworks.Frameworks = reporttest.Frameworks(t)

	for _, tt := range []struct {
		name string
		res  *scan.Result
		opts report.Options
	}{
		{"fixture", reporttest.Result(t), reporttest.Options(t)},
		{"empty", reporttest.Empty(t), report.Options{}},
		{"nothing at all", &scan.Result{}, report.Options{}},
		{"odd paths", odd, oddOpts},
		{"rule unknown to the registry", unknownRule, reporttest.Options(t)},
		{"baseline", reporttest.Result(t), withBaseline},
		{"frameworks", reporttest.Result(t), withFrameworks},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := validate(t, sch, render(t, tt.res, tt.opts)); err != nil {
				t.Fatalf("output is not valid SARIF 2.1.0: %v", err)
			}
		})
	}
}

// TestSchemaRejectsBrokenLogs proves the validator is live: documents that
// break the standard in ways a writer bug could must fail.
func TestSchemaRejectsBrokenLogs(t *testing.T) {
	sch := schema(t)
	good := render(t, reporttest.Result(t), reporttest.Options(t))
	firstResult := func(doc map[string]any) map[string]any {
		return doc["runs"].([]any)[0].(map[string]any)["results"].([]any)[1].(map[string]any)
	}
	for _, tt := range []struct {
		name    string
		breakIt func(doc map[string]any)
	}{
		{"bad level", func(d map[string]any) { firstResult(d)["level"] = "fatal" }},
		{"negative rule index", func(d map[string]any) { firstResult(d)["ruleIndex"] = -2 }},
		{"result without message", func(d map[string]any) { delete(firstResult(d), "message") }},
		{"line 0", func(d map[string]any) {
			loc := firstResult(d)["locations"].([]any)[0].(map[string]any)
			loc["physicalLocation"].(map[string]any)["region"] = map[string]any{"startLine": 0}
		}},
		{"bad suppression kind", func(d map[string]any) {
			firstResult(d)["suppressions"] = []any{map[string]any{"kind": "annotation"}}
		}},
		{"wrong version", func(d map[string]any) { d["version"] = "2.0.0" }},
		{"unknown top-level key", func(d map[string]any) { d["findings"] = []any{} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal(good, &doc); err != nil {
				t.Fatal(err)
			}
			tt.breakIt(doc)
			bad, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(t, sch, bad); err == nil {
				t.Fatal("schema accepted a broken log")
			}
		})
	}
}

// The parts of the log the structural test reads.
type sarifLog struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, InformationURI string
				Rules                         []struct {
					ID                   string
					Name                 string
					ShortDescription     struct{ Text string }
					FullDescription      struct{ Text string }
					Help                 struct{ Text, Markdown string }
					HelpURI              string
					DefaultConfiguration struct{ Level string }
					Properties           map[string]any
				}
			}
		}
		Invocations []struct {
			ExecutionSuccessful        bool
			ToolExecutionNotifications []struct {
				Level      string
				Message    struct{ Text string }
				Descriptor struct{ ID string }
				Locations  []json.RawMessage
			}
		}
		Results []struct {
			RuleID    string
			RuleIndex *int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct{ URI, URIBaseID string }
					Region           *struct{ StartLine int }
				}
				LogicalLocations []struct{ Name, FullyQualifiedName, Kind string }
			}
			PartialFingerprints map[string]string
			Suppressions        []struct{ Kind, Status, Justification string }
			Properties          map[string]any
		}
	}
}

func decode(t *testing.T, out []byte) sarifLog {
	t.Helper()
	var l sarifLog
	if err := json.Unmarshal(out, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(l.Runs))
	}
	return l
}

func TestStructure(t *testing.T) {
	res, opts := reporttest.Result(t), reporttest.Options(t)
	l := decode(t, render(t, res, opts))
	if l.Schema != "https://json.schemastore.org/sarif-2.1.0.json" || l.Version != "2.1.0" {
		t.Errorf("$schema/version = %q/%q", l.Schema, l.Version)
	}
	run := l.Runs[0]
	d := run.Tool.Driver
	if d.Name != "kguard" || d.Version != "1.2.3-test" || d.InformationURI == "" {
		t.Errorf("driver = %q %q %q", d.Name, d.Version, d.InformationURI)
	}
	if len(d.Rules) != len(res.Rules) {
		t.Fatalf("%d rule descriptors, want one per rule that ran (%d)", len(d.Rules), len(res.Rules))
	}
	for i, r := range d.Rules {
		want := res.Rules[i]
		if r.ID != want.ID || r.ShortDescription.Text != want.Title || r.FullDescription.Text != want.Rationale {
			t.Errorf("rule %d = %s/%q/%q", i, r.ID, r.ShortDescription.Text, r.FullDescription.Text)
		}
		if !strings.Contains(r.Help.Text, want.Remediation) || !strings.Contains(r.Help.Markdown, want.Remediation) {
			t.Errorf("rule %s: help lacks the remediation", r.ID)
		}
		if r.HelpURI != InformationURI+"/blob/main/docs/rules.md#"+want.ID {
			t.Errorf("rule %s: helpUri = %s", r.ID, r.HelpURI)
		}
		if r.DefaultConfiguration.Level != Level(want.Severity) || r.Properties["category"] != string(want.Category) {
			t.Errorf("rule %s: level %s, category %v", r.ID, r.DefaultConfiguration.Level, r.Properties["category"])
		}
		if r.Properties["security-severity"] != securitySeverity[want.Severity] {
			t.Errorf("rule %s: security-severity = %v", r.ID, r.Properties["security-severity"])
		}
		tags, _ := r.Properties["tags"].([]any)
		if len(tags) == 0 || tags[0] != "security" {
			t.Errorf("rule %s: tags = %v, want security first", r.ID, tags)
		}
	}
	// privileged-container: CIS, NSA, MITRE, PSS and a URL, in that order.
	help := d.Rules[0].Help.Text
	for _, want := range []string{"CIS Kubernetes Benchmark 5.2.2", "MITRE ATT&CK T1611", "Pod Security Standards, baseline: Privileged Containers", "https://kubernetes.io/docs/concepts/security/pod-security-standards/"} {
		if !strings.Contains(help, want) {
			t.Errorf("help text lacks %q:\n%s", want, help)
		}
	}

	if got, want := len(run.Results), len(res.Findings)+len(res.Suppressed); got != want {
		t.Fatalf("%d results, want %d (suppressed included)", got, want)
	}
	fingerprints := map[string]int{}
	suppressed := 0
	for i, r := range run.Results {
		if r.RuleIndex == nil || d.Rules[*r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %d: ruleIndex does not point at %s", i, r.RuleID)
		}
		if len(r.Locations) != 1 || len(r.Locations[0].LogicalLocations) != 1 {
			t.Fatalf("result %d: want one location with one logical location", i)
		}
		fp := r.PartialFingerprints["kguard/v2"]
		src := append(slices.Clone(res.Findings), res.Suppressed...)[i]
		if want := finding.Fingerprint(&src); fp != want {
			t.Errorf("result %d: fingerprint %q, want the JSON report's %q", i, fp, want)
		}
		fingerprints[fp]++
		if len(r.Suppressions) > 0 {
			suppressed++
		}
	}
	if len(fingerprints) != len(run.Results) {
		t.Errorf("fingerprints collide: %v", fingerprints)
	}
	if suppressed != len(res.Suppressed) {
		t.Errorf("%d results carry suppressions, want %d", suppressed, len(res.Suppressed))
	}

	// Live cluster object: no file, only the logical location.
	live := run.Results[0]
	if live.RuleID != "rbac-wildcard-verbs" || live.Locations[0].PhysicalLocation != nil {
		t.Errorf("live-cluster result %s has a physical location", live.RuleID)
	}
	if ll := live.Locations[0].LogicalLocations[0]; ll.FullyQualifiedName != "ClusterRole/ops-admin" || ll.Kind != "resource" {
		t.Errorf("logical location = %+v", ll)
	}
	if live.Level != "error" || live.Properties["cluster"] != "prod-eu" {
		t.Errorf("live result level %s, cluster %v", live.Level, live.Properties["cluster"])
	}
	// A file object: relative URI under %SRCROOT%, escaped, with the line.
	pod := run.Results[1]
	pl := pod.Locations[0].PhysicalLocation
	if pl == nil || pl.ArtifactLocation.URI != "manifests/my%20app/pod.yaml" || pl.ArtifactLocation.URIBaseID != "%SRCROOT%" || pl.Region == nil || pl.Region.StartLine != 1 {
		t.Errorf("file location = %+v", pl)
	}
	if pod.Locations[0].LogicalLocations[0].FullyQualifiedName != "Pod/debug-shell" {
		t.Errorf("namespaced name without namespace = %s", pod.Locations[0].LogicalLocations[0].FullyQualifiedName)
	}
	if pod.Level != "note" { // namespace-default is info
		t.Errorf("info finding level = %s, want note", pod.Level)
	}
	// Suppressions: annotation is inSource, config is external.
	kinds := map[string]string{}
	for _, r := range run.Results {
		for _, s := range r.Suppressions {
			kinds[r.RuleID] = s.Kind + "/" + s.Status + "/" + s.Justification
		}
	}
	if kinds["privileged-container"] != `inSource/accepted/needed for "strace" <ptrace> & perf — ticket SEC-42` ||
		kinds["image-latest-tag"] != "external/accepted/dev images float by design" {
		t.Errorf("suppressions = %v", kinds)
	}

	inv := run.Invocations
	if len(inv) != 1 || inv[0].ExecutionSuccessful {
		t.Fatalf("invocations = %+v, want one, not successful", inv)
	}
	notes := inv[0].ToolExecutionNotifications
	if len(notes) != 4 {
		t.Fatalf("%d notifications, want 2 not-evaluated + 2 input errors", len(notes))
	}
	for _, n := range notes {
		if n.Level != "error" {
			t.Errorf("notification %q has level %s", n.Message.Text, n.Level)
		}
	}
	if notes[1].Descriptor.ID != "not-evaluated" || !strings.Contains(notes[1].Message.Text, "list secrets") {
		t.Errorf("not-evaluated notification = %+v", notes[1])
	}
	if notes[2].Descriptor.ID != "input-error" || len(notes[2].Locations) != 1 || !strings.Contains(notes[2].Message.Text, "manifests/bad.yaml:7") {
		t.Errorf("input-error notification = %+v", notes[2])
	}
}

func TestCleanScanIsSuccessful(t *testing.T) {
	l := decode(t, render(t, reporttest.Empty(t), report.Options{}))
	if !l.Runs[0].Invocations[0].ExecutionSuccessful || len(l.Runs[0].Invocations[0].ToolExecutionNotifications) != 0 {
		t.Errorf("clean scan: %+v", l.Runs[0].Invocations[0])
	}
	if l.Runs[0].Results == nil {
		t.Error("results must be present (empty) for a real scan, as SARIF requires")
	}
	// Input errors alone also make the run unsuccessful.
	l = decode(t, render(t, reporttest.Empty(t), report.Options{InputErrors: reporttest.Options(t).InputErrors}))
	if l.Runs[0].Invocations[0].ExecutionSuccessful {
		t.Error("a scan with unread inputs reported success")
	}
}

func TestLevelAndSecuritySeverity(t *testing.T) {
	for _, tt := range []struct {
		sev   finding.Severity
		level string
		band  [2]float64 // GitHub's band for the matching severity
	}{
		{finding.SeverityCritical, "error", [2]float64{9.0, 10.0}},
		{finding.SeverityHigh, "error", [2]float64{7.0, 8.9}},
		{finding.SeverityMedium, "warning", [2]float64{4.0, 6.9}},
		{finding.SeverityLow, "note", [2]float64{0.1, 3.9}},
		{finding.SeverityInfo, "note", [2]float64{0.1, 3.9}},
	} {
		if got := Level(tt.sev); got != tt.level {
			t.Errorf("Level(%s) = %s, want %s", tt.sev, got, tt.level)
		}
		v, err := strconv.ParseFloat(securitySeverity[tt.sev], 64)
		if err != nil || v < tt.band[0] || v > tt.band[1] || (tt.sev == finding.SeverityCritical && v == 9.0) {
			t.Errorf("security-severity(%s) = %q, outside GitHub's band %v", tt.sev, securitySeverity[tt.sev], tt.band)
		}
	}
}

func TestFileURI(t *testing.T) {
	for _, tt := range []struct {
		in, uri, base string
		ok            bool
	}{
		{"manifests/app.yaml", "manifests/app.yaml", "%SRCROOT%", true},
		{"./manifests//app.yaml", "manifests/app.yaml", "%SRCROOT%", true},
		{"my app/ünï#1.yaml", "my%20app/%C3%BCn%C3%AF%231.yaml", "%SRCROOT%", true},
		{"a:b.yaml", "./a:b.yaml", "%SRCROOT%", true},
		{"../other/x.yaml", "../other/x.yaml", "%SRCROOT%", true},
		{"/srv/k8s/app.yaml", "file:///srv/k8s/app.yaml", "", true},
		{"-", "", "", false},
		{"", "", "", false},
	} {
		uri, base, ok := fileURI(tt.in)
		if uri != tt.uri || base != tt.base || ok != tt.ok {
			t.Errorf("fileURI(%q) = %q, %q, %v; want %q, %q, %v", tt.in, uri, base, ok, tt.uri, tt.base, tt.ok)
		}
	}
}

// TestBaselineState: with a baseline, counted results say whether they are
// new; suppressed ones and runs without a baseline carry no state.
func TestBaselineState(t *testing.T) {
	res := reporttest.Result(t)
	opts := reporttest.Options(t)
	opts.Baseline = reporttest.Baseline(t, res.Findings[2])
	var doc struct {
		Runs []struct {
			Results []struct {
				BaselineState string `json:"baselineState"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(render(t, res, opts), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range doc.Runs[0].Results {
		got = append(got, r.BaselineState)
	}
	want := "new new unchanged new new new new new  " // 8 findings, then 2 suppressed
	if strings.Join(got, " ") != want {
		t.Errorf("baseline states = %q", strings.Join(got, " "))
	}
	if strings.Contains(string(render(t, res, reporttest.Options(t))), "baselineState") {
		t.Error("baselineState without a baseline")
	}
}

// TestFrameworkTaxonomy: a framework is a taxonomy whose taxa are its
// controls with their verdicts, and rules point at the controls they serve.
func TestFrameworkTaxonomy(t *testing.T) {
	opts := reporttest.Options(t)
	opts.Frameworks = reporttest.Frameworks(t)
	var doc struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID            string `json:"id"`
						Relationships []struct {
							Target struct {
								ID            string                `json:"id"`
								ToolComponent struct{ Name string } `json:"toolComponent"`
							} `json:"target"`
						} `json:"relationships"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Taxonomies []struct {
				Name string `json:"name"`
				Taxa []struct {
					ID         string                  `json:"id"`
					Properties struct{ Status string } `json:"properties"`
				} `json:"taxa"`
				Properties struct {
					Score *float64 `json:"score"`
				} `json:"properties"`
			} `json:"taxonomies"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(render(t, reporttest.Result(t), opts), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if len(run.Taxonomies) != 1 || run.Taxonomies[0].Name != "test-benchmark" || len(run.Taxonomies[0].Taxa) != 5 ||
		run.Taxonomies[0].Properties.Score == nil || *run.Taxonomies[0].Properties.Score != 33.3 {
		t.Fatalf("taxonomies = %+v", run.Taxonomies)
	}
	var statuses []string
	for _, tx := range run.Taxonomies[0].Taxa {
		statuses = append(statuses, tx.ID+"="+tx.Properties.Status)
	}
	if got := strings.Join(statuses, " "); got != "5.1.3=fail 5.1.7=manual 5.2.2=fail 5.2.9=pass 5.7.1=not-evaluated" {
		t.Errorf("taxa = %s", got)
	}
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "privileged-container" {
			if len(r.Relationships) != 1 || r.Relationships[0].Target.ID != "5.2.2" || r.Relationships[0].Target.ToolComponent.Name != "test-benchmark" {
				t.Errorf("privileged-container relationships = %+v", r.Relationships)
			}
		}
	}
}
