package auditcmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return clitest.Run(t, NewCmd, args...)
}

func TestExplainTable(t *testing.T) {
	out, errOut, code := run(t, "explain", "testdata/policy.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"OPERATION", "OMITTED STAGES",
		"get secrets", "RequestResponse  1 (line 10)", "LOG HOLDS SECRETS",
		"NOT LOGGED (sensitive): every stage omitted",
		"create pods/attach",
		"create roles.rbac.authorization.k8s.io", "Request          3 (line 19)",
		"get /healthz", "4 (line 22)",
		"Requests no rule names", "get /kguard-unusual-path",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainJSON(t *testing.T) {
	out, errOut, code := run(t, "explain", "testdata/policy.yaml", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Policy     string
		Operations []opResult
		Unmatched  []opResult
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	byName := map[string]opResult{}
	for _, r := range doc.Operations {
		byName[r.Operation] = r
	}
	check := func(op, level string, rule int, recorded bool, omit string) {
		t.Helper()
		r, ok := byName[op]
		if !ok {
			t.Fatalf("no operation %q", op)
		}
		var stages []string
		for _, s := range r.OmitStages {
			stages = append(stages, string(s))
		}
		if string(r.Level) != level || r.Rule != rule || r.Recorded != recorded || strings.Join(stages, ",") != omit {
			t.Errorf("%s: %+v, want %s rule %d recorded %v omit %q", op, r, level, rule, recorded, omit)
		}
	}
	check("get secrets", "RequestResponse", 1, true, "RequestReceived")
	check("create pods/exec", "Metadata", 2, false, "RequestReceived,ResponseComplete")
	check("delete clusterrolebindings.rbac.authorization.k8s.io", "Request", 3, true, "RequestReceived")
	check("get nodes/proxy", "None", -1, false, "RequestReceived")
	check("get /healthz", "None", 4, false, "RequestReceived")
	if !byName["get secrets"].LogsSecrets || byName["create roles.rbac.authorization.k8s.io"].LogsSecrets {
		t.Error("logsSecrets is wrong")
	}
	if doc.Policy != "testdata/policy.yaml" || len(doc.Unmatched) == 0 || doc.Unmatched[0].Recorded {
		t.Errorf("policy %q, unmatched %+v", doc.Policy, doc.Unmatched)
	}
}

func TestExplainErrors(t *testing.T) {
	_, errOut, code := run(t, "explain", "testdata/bad.yaml")
	if code != cmdutil.ExitUsage {
		t.Errorf("exit %d, want %d", code, cmdutil.ExitUsage)
	}
	for _, want := range []string{
		`testdata/bad.yaml:9: rules[1].level: unknown level "Verbose"`,
		`testdata/bad.yaml:11: rules[2].omitStages[0]: unknown stage "Done"`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("errors lack %q:\n%s", want, errOut)
		}
	}
	_, errOut, code = run(t, "explain", "testdata/missing.yaml")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "missing.yaml") {
		t.Errorf("missing file: exit %d: %s", code, errOut)
	}
	_, errOut, code = run(t, "explain", "testdata/policy.yaml", "-o", "yaml")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "unknown output format") {
		t.Errorf("bad -o: exit %d: %s", code, errOut)
	}
}

func TestExplainStdinSyntaxError(t *testing.T) {
	var out, errOut strings.Builder
	cmd := NewCmd(&cmdutil.Streams{In: strings.NewReader("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n    verb: [get]\n"), Out: &out, ErrOut: &errOut})
	cmd.SetArgs([]string{"explain", "-"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), `<stdin>:5: unknown field "verb"`) {
		t.Errorf("error %v", err)
	}
}
