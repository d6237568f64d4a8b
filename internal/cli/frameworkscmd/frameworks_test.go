package frameworkscmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/rules/all"
)

func runCmd(s *cmdutil.Streams) *cobra.Command { return NewCmd(s, all.Registry) }

func TestList(t *testing.T) {
	out, errOut, code := clitest.Run(t, runCmd)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"CIS Kubernetes Benchmark", "v1.12.0", "nsa", "mitre", "pss-baseline", "pss-restricted"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
}

func TestShow(t *testing.T) {
	out, _, code := clitest.Run(t, runCmd, "cis")
	if code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{
		"  5.2.2  Minimize the admission of privileged containers (manual)\n      rules: pss-baseline-privileged\n",
		// kguard node checks the file: the control has the node rule.
		"  1.1.1  Ensure that the API server pod specification file permissions are set to 600 or more restrictive\n      rules: node-file-permissions\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("cis lacks %q", want)
		}
	}
	out, _, _ = clitest.Run(t, runCmd, "pss-restricted", "-o", "json")
	var doc frameworkDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	// Restricted: 12 baseline controls and 7 restricted ones, every one
	// implemented by a pss rule.
	if doc.Controls != 19 || doc.Covered != 19 {
		t.Errorf("pss-restricted: %d controls, %d covered; want 19 and 19", doc.Controls, doc.Covered)
	}
	if _, errOut, code := clitest.Run(t, runCmd, "iso27001"); code != 2 || !strings.Contains(errOut, `unknown framework "iso27001"`) {
		t.Errorf("unknown framework: exit %d, %s", code, errOut)
	}
}
