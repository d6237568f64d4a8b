package cli

import (
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/cli/clitest"
)

// TestVersionCommand: `kguard version` prints the version, the commit and
// the date, one per line (their values are tested in internal/version).
func TestVersionCommand(t *testing.T) {
	out, errOut, code := clitest.Run(t, NewRootCmd, "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, prefix := range []string{"kguard ", "commit: ", "date: ", "go: "} {
		if i >= len(lines) || !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("line %d of %q does not start with %q", i+1, out, prefix)
		}
	}
	if _, _, code := clitest.Run(t, NewRootCmd, "version", "extra"); code != 2 {
		t.Errorf("version with an argument: exit %d, want 2", code)
	}
}
