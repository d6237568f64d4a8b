package rbaccmd

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/cli/cmdutil"
)

// pathsFixture is the escalation fixture of the rbac package, whose paths
// its tests check by hand.
const pathsFixture = "../../rbac/testdata/paths-chain.yaml"

// runPaths runs `kguard rbac paths ARGS...`.
func runPaths(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := &cmdutil.Streams{Out: &out, ErrOut: &errOut}
	cmd := NewCmd(s)
	cmd.SetArgs(append([]string{"paths"}, args...))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), cmdutil.CodeOf(err)
}

func TestPathsSubject(t *testing.T) {
	out, errOut, code := runPaths(t, "serviceaccount:shop:ci", "-f", pathsFixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `ServiceAccount shop/ci reaches cluster-admin in 2 steps:
  1. create pods in shop -> ServiceAccount shop/admin
     via RoleBinding shop/ci -> Role shop/deployer (rule: create,get pods)
  2. bound to ClusterRole cluster-admin -> cluster-admin
     via ClusterRoleBinding shop-admin -> ClusterRole cluster-admin (built-in) (rule: * *.*)
`
	if out != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}

	// No path is exit 1, as can-i's "no".
	out, _, code = runPaths(t, "serviceaccount:shop:web", "-f", pathsFixture)
	if code != cmdutil.ExitFindings || out != "no path: ServiceAccount shop/web cannot reach cluster-admin\n" {
		t.Errorf("shop/web: exit %d, %q", code, out)
	}
	out, _, _ = runPaths(t, "user:bob", "-f", pathsFixture)
	if !strings.HasPrefix(out, "no path: User bob") {
		t.Errorf("bob: %q", out)
	}
}

func TestPathsAll(t *testing.T) {
	out, errOut, code := runPaths(t, "-f", pathsFixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The identities of the fixture, then a count of the built-in
	// policy's: kube-system's controllers are not listed.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 12 || !strings.HasPrefix(lines[0], "IDENTITY") ||
		!regexp.MustCompile(`^\(\d+ identities of the built-in policy, .* also reach cluster-admin`).MatchString(lines[11]) {
		t.Fatalf("want a header, 10 paths and the built-in count:\n%s", out)
	}
	for _, want := range []string{
		"ServiceAccount shop/ci  ",
		"create pods in shop -> ServiceAccount shop/admin -> bound to ClusterRole cluster-admin (built-in) -> cluster-admin",
		"User alice",
		"get nodes/proxy (kubelet API: exec in any pod on any node) -> cluster-admin",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "shop/web") || strings.Contains(out, "kube-system/replicaset-controller") {
		t.Errorf("shop/web has no path; built-in identities are not listed:\n%s", out)
	}
}

func TestPathsJSON(t *testing.T) {
	out, errOut, code := runPaths(t, "serviceaccount:shop:ci", "-o", "json", "-f", pathsFixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Goal  string     `json:"goal"`
		Paths []pathJSON `json:"paths"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if got.Goal != "cluster-admin" || len(got.Paths) != 1 || len(got.Paths[0].Steps) != 2 {
		t.Fatalf("%+v", got)
	}
	s0, s1 := got.Paths[0].Steps[0], got.Paths[0].Steps[1]
	if got.Paths[0].Subject != "ServiceAccount shop/ci" || s0.From != "ServiceAccount shop/ci" || s0.To != "ServiceAccount shop/admin" ||
		s0.Action != "create pods in shop" || s0.Binding == nil || *s0.Binding != (refJSON{Kind: "RoleBinding", Namespace: "shop", Name: "ci"}) ||
		*s0.Role != (refJSON{Kind: "Role", Namespace: "shop", Name: "deployer"}) || s0.Rule == nil || strings.Join(s0.Rule.Resources, ",") != "pods" {
		t.Errorf("first step: %s", out)
	}
	// The fixture binds cluster-admin without defining it: the built-in
	// one, with its rule.
	if s1.To != "cluster-admin" || *s1.Role != (refJSON{Kind: "ClusterRole", Name: "cluster-admin", Builtin: true}) ||
		s1.Rule == nil || strings.Join(s1.Rule.Verbs, ",") != "*" || strings.Join(s1.Rule.Resources, ",") != "*" {
		t.Errorf("second step: %s", out)
	}
	// Without the built-in policy the binding still leads to the goal,
	// with no rule to show.
	out, _, _ = runPaths(t, "serviceaccount:shop:ci", "-o", "json", "--no-builtin-rbac", "-f", pathsFixture)
	var bare struct {
		Paths []pathJSON `json:"paths"`
	}
	if err := json.Unmarshal([]byte(out), &bare); err != nil || len(bare.Paths) != 1 || len(bare.Paths[0].Steps) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	if s1 := bare.Paths[0].Steps[1]; *s1.Role != (refJSON{Kind: "ClusterRole", Name: "cluster-admin"}) || s1.Rule != nil {
		t.Errorf("second step without built-ins: %s", out)
	}

	out, _, _ = runPaths(t, "serviceaccount:shop:web", "-o", "json", "-f", pathsFixture)
	if !strings.Contains(out, `"paths": []`) {
		t.Errorf("no path is an empty list: %s", out)
	}
	out, _, _ = runPaths(t, "-o", "json", "-f", pathsFixture)
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Paths) != 10 {
		t.Errorf("all paths: %v, %d paths", err, len(got.Paths))
	}
}

func TestPathsDot(t *testing.T) {
	out, errOut, code := runPaths(t, "-o", "dot", "-f", pathsFixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"digraph escalation {\n",
		`  "cluster-admin" [shape=doubleoctagon, color=red, fontcolor=red];`,
		`  "ServiceAccount shop/ci" [color=red];`,
		`  "ServiceAccount shop/web";`,
		`  "ServiceAccount shop/*" [shape=ellipse, style=dashed];`,
		`  "ServiceAccount shop/ci" -> "ServiceAccount shop/*" [label="create pods in shop"];`,
		`  "ServiceAccount shop/*" -> "ServiceAccount shop/admin" [style=dashed];`,
		`  "ServiceAccount ops/imp" -> "cluster-admin" [label="impersonate groups system:masters"];`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dot lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "}\n") {
		t.Errorf("dot not closed:\n%s", out)
	}
	for range 3 {
		again, _, _ := runPaths(t, "-o", "dot", "-f", pathsFixture)
		if again != out {
			t.Fatal("dot output differs between runs")
		}
	}

	out, _, _ = runPaths(t, "serviceaccount:shop:ci", "-o", "dot", "-f", pathsFixture)
	if strings.Count(out, " -> ") != 2 || !strings.Contains(out, `"ServiceAccount shop/admin" -> "cluster-admin"`) {
		t.Errorf("subject dot is its path:\n%s", out)
	}
}

func TestPathsUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "xml", "-f", pathsFixture}, `unknown output format "xml"`},
		{[]string{"serviceaccount:shop", "-f", pathsFixture}, `subject "serviceaccount:shop"`},
		{[]string{"a", "-f", pathsFixture}, "a: no such file or directory"},
		{nil, "no input"},
	} {
		_, errOut, code := runPaths(t, tc.args...)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, %q", tc.args, code, errOut)
		}
	}
}
