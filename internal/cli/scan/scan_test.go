package scan

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/cli/rbaccmd"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/images"
)

// reg is a small fixed registry so these tests check the command, not the
// rule families.
func reg() (*rules.Registry, error) { return rules.NewRegistry(images.Rules()) }

func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &cmdutil.Streams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	cmd := NewCmd(s, reg)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if ee := (*cmdutil.ExitError)(nil); err != nil && !asExit(err, &ee) {
		errOut.WriteString("error: " + err.Error())
	} else if err != nil && ee.Err != nil {
		errOut.WriteString("error: " + ee.Err.Error())
	}
	return out.String(), errOut.String(), cmdutil.CodeOf(err)
}

func asExit(err error, target **cmdutil.ExitError) bool {
	e, ok := err.(*cmdutil.ExitError)
	if ok {
		*target = e
	}
	return ok
}

const latest = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: c, image: nginx:latest}]\n"
const pinned = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: c, image: nginx:1.27}]\n"

func write(t *testing.T, name, content string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExitCodes(t *testing.T) {
	bad := write(t, "bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n")
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{"clean", []string{"-"}, pinned, 0, ""},
		{"medium below default high", []string{"-"}, latest, 0, ""},
		{"fail-on medium", []string{"--fail-on", "medium", "-"}, latest, 1, ""},
		{"fail-on none", []string{"--fail-on", "none", "-"}, latest, 0, ""},
		{"bad input still reports, exit 2", []string{"--fail-on", "medium", bad, "-"}, latest, 2, "bad.yaml:"},
		{"unknown fail-on", []string{"--fail-on", "severe", "-"}, latest, 2, "--fail-on"},
		{"unknown format", []string{"-o", "xml", "-"}, latest, 2, `unknown output format "xml"`},
		{"no input", nil, "", 2, "no input"},
		{"missing file", []string{"/does/not/exist.yaml"}, "", 2, "/does/not/exist.yaml: no such file"},
		{"unknown rule in --disable", []string{"--disable", "nope", "-"}, latest, 2, `unknown rule "nope"`},
		{"disabled rule", []string{"--disable", "image-latest-tag", "--fail-on", "medium", "-"}, latest, 0, ""},
		{"write-policyreports needs cluster", []string{"--write-policyreports", "-"}, latest, 2, "needs --cluster"},
		{"cluster takes no paths", []string{"--cluster", "-"}, latest, 2, "give no paths"},
		{"helm flag needs a chart", []string{"--helm", "."}, "", 2, "not a chart directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := run(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.stderr)
			}
		})
	}
}

func TestJSONReportOfExample(t *testing.T) {
	out, _, code := run(t, "", "-o", "json", "../../../examples")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Findings []struct {
			Rule     string `json:"rule"`
			Resource struct {
				Kind, Namespace, Name string
			} `json:"resource"`
			Source struct {
				File string `json:"file"`
				Line int    `json:"line"`
			} `json:"source"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// Checked by hand against examples/: three workloads use untagged or
	// :latest images.
	want := map[string]string{
		"Deployment legacy/billing":     "legacy/billing.yaml:3",
		"Pod default/netshoot":          "legacy/debug-pod.yaml:2",
		"CronJob legacy/nightly-report": "legacy/reports-cronjob.yaml:2",
	}
	got := map[string]string{}
	for _, f := range doc.Findings {
		if f.Rule == "image-latest-tag" {
			got[f.Resource.Kind+" "+f.Resource.Namespace+"/"+f.Resource.Name] = strings.TrimPrefix(filepath.ToSlash(f.Source.File), "../../../examples/") + ":" + itoa(f.Source.Line)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s at %s, want %s", k, got[k], v)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestOutputFileAndConfig(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.sarif")
	cfg := write(t, "kguard.yaml", "failOn: medium\nexceptions:\n  - rules: [image-*]\n    namespaces: [shop]\n    reason: migration in progress\n")
	stdout, _, code := run(t, latest, "--config", cfg, "-o", "sarif", "--output-file", out, "-")
	if code != 0 {
		t.Fatalf("exit %d: the exception should suppress the only finding", code)
	}
	if stdout != "" {
		t.Errorf("report went to stdout too: %q", stdout)
	}
	data, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(data, []byte(`"version": "2.1.0"`)) || !bytes.Contains(data, []byte("migration in progress")) {
		t.Errorf("SARIF file: %v\n%s", err, data)
	}
	badCfg := write(t, "bad.yaml", "failon: medium\n")
	_, stderr, code := run(t, latest, "--config", badCfg, "-")
	if code != 2 || !strings.Contains(stderr, "field failon not found") {
		t.Errorf("config typo: exit %d, stderr %q", code, stderr)
	}
}

func TestTimings(t *testing.T) {
	_, stderr, code := runScan(t, &Options{Input: cmdutil.Input{Args: []string{"../../../examples"}}, Timings: true})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"timings: read ", ", rules ", ", report ", " objects)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, stderr)
		}
	}
}

// TestAsOf: --as-of moves the date rules judge by: a release supported on
// one day is past its end of life later.
func TestAsOf(t *testing.T) {
	dir := "../../rules/controlplane/testdata/control-plane-release-unsupported"
	count := func(day string) int {
		var now time.Time
		if err := (cmdutil.AsOf{T: &now}).Set(day); err != nil {
			t.Fatal(err)
		}
		rep, stderr, code := runScan(t, &Options{Input: cmdutil.Input{Args: []string{dir}}, Now: now})
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		n := 0
		for _, f := range rep.Findings {
			if f.Rule == "control-plane-release-unsupported" {
				n++
			}
		}
		return n
	}
	if early, late := count("2023-01-01"), count("2031-01-01"); late <= early {
		t.Errorf("findings on 2023-01-01: %d, on 2031-01-01: %d; want more later", early, late)
	}
	if err := (cmdutil.AsOf{T: new(time.Time)}).Set("2020-13-01"); err == nil {
		t.Error("an invalid date was accepted")
	}
}

// TestBuiltinRBAC: kguard scan and kguard rbac give one answer over the
// same files: the examples bind legacy/default to cluster-admin, which
// they do not define; both name the built-in role, and without the
// built-in policy both lose it (rbac can-i then says no).
func TestBuiltinRBAC(t *testing.T) {
	const examples = "../../../examples"
	message := func(o *Options) string {
		t.Helper()
		rep, errOut, code := runScan(t, o)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, f := range rep.Findings {
			if f.Rule == "rbac-cluster-admin-binding" && f.Resource.Name == "legacy-admin" {
				return f.Message
			}
		}
		t.Fatalf("no rbac-cluster-admin-binding finding on legacy-admin")
		return ""
	}
	const via = "via ClusterRoleBinding legacy-admin -> ClusterRole cluster-admin"
	if got := message(&Options{Input: cmdutil.Input{Args: []string{examples}, BuiltinRBAC: true}}); !strings.HasSuffix(got, via+" (built-in)") {
		t.Errorf("scan: %q", got)
	}
	off := &Options{Input: cmdutil.Input{Args: []string{examples}}}
	if got := message(off); !strings.HasSuffix(got, via) {
		t.Errorf("scan --no-builtin-rbac: %q", got)
	}

	out, errOut, code := clitest.Run(t, rbaccmd.NewCmd, "can-i", "serviceaccount:legacy:default", "delete", "nodes", "-f", examples)
	if code != 0 || !strings.Contains(out, "yes: ServiceAccount legacy/default may delete nodes\n  "+via+" (built-in) (rule: * *.*)") {
		t.Errorf("rbac can-i: exit %d: %s%s", code, out, errOut)
	}
	out, _, code = clitest.Run(t, rbaccmd.NewCmd, "can-i", "serviceaccount:legacy:default", "delete", "nodes", "-f", examples, "--no-builtin-rbac")
	if code != cmdutil.ExitFindings || !strings.HasPrefix(out, "no:") {
		t.Errorf("rbac can-i --no-builtin-rbac: exit %d: %s", code, out)
	}
}
