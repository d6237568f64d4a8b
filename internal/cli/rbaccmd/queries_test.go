package rbaccmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

const fixture = "../../rbac/testdata/sar-fixture.yaml"

func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return clitest.Run(t, NewCmd, args...)
}

func TestWhoCan(t *testing.T) {
	out, errOut, code := run(t, "who-can", "list", "secrets", "-n", "alpha", "-f", fixture)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"ServiceAccount alpha/default", "RoleBinding alpha/secret-lister-alpha", "ClusterRole secret-lister", "Group auditors"} {
		if !strings.Contains(out, want) {
			t.Errorf("who-can output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = run(t, "who-can", "create", "pods/exec", "-n", "alpha", "-f", fixture, "-o", "json")
	var doc struct {
		Request  string `json:"request"`
		Subjects []struct {
			Kind, Name string
		} `json:"subjects"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if doc.Request != "create pods/exec in alpha" || len(doc.Subjects) != 2 {
		t.Errorf("who-can json: %+v", doc)
	}
}

func TestCanIExitStatus(t *testing.T) {
	out, _, code := run(t, "can-i", "serviceaccount:alpha:web", "get", "secrets", "--name", "db-password", "-n", "alpha", "-f", fixture)
	if code != 0 || !strings.Contains(out, "yes") || !strings.Contains(out, "RoleBinding alpha/web-secret") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	out, _, code = run(t, "can-i", "serviceaccount:alpha:web", "delete", "secrets", "-n", "alpha", "-f", fixture)
	if code != cmdutil.ExitFindings || !strings.HasPrefix(out, "no:") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestPermissions(t *testing.T) {
	out, _, code := run(t, "permissions", "user:erin", "-f", fixture)
	if code != 0 || !strings.Contains(out, "cluster") || !strings.Contains(out, "get,list,watch namespaces,nodes") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"who-can", "get", "secrets"},                                   // no input
		{"who-can", "get", "secrets", "-f", fixture, "--cluster"},       // both inputs
		{"can-i", "serviceaccount:alpha", "get", "pods", "-f", fixture}, // bad subject
		{"who-can", "get", "/metrics", "-n", "alpha", "-f", fixture},    // URL with namespace
		{"who-can", "get", "secrets", "-f", fixture, "-o", "yaml"},      // bad format
	} {
		if _, errOut, code := run(t, args...); code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, cmdutil.ExitUsage, errOut)
		}
	}
}
