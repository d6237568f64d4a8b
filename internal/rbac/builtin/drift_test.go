package builtin

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// EnvCheckGenerated turns on the tests that regenerate checked-in data
// from its sources and compare (CI sets it). They need the Go modules the
// generators pin, and the first run builds them.
const EnvCheckGenerated = "KGUARD_CHECK_GENERATED"

// TestDataUpToDate regenerates the built-in policy of every release with
// hack/gen-builtin-rbac.sh into a temporary directory: the embedded files
// must be exactly what the pinned releases produce.
func TestDataUpToDate(t *testing.T) {
	if os.Getenv(EnvCheckGenerated) != "1" {
		t.Skipf("set %s=1 to regenerate the built-in RBAC data and compare", EnvCheckGenerated)
	}
	dir := t.TempDir()
	cmd := exec.Command("../../../hack/gen-builtin-rbac.sh", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/gen-builtin-rbac.sh: %v\n%s", err, out)
	}
	committed, _ := filepath.Glob("data/*.yaml")
	generated, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	names := func(paths []string) []string {
		var out []string
		for _, p := range paths {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	if !slices.Equal(names(committed), names(generated)) {
		t.Fatalf("committed %v, generated %v: run hack/gen-builtin-rbac.sh", names(committed), names(generated))
	}
	for _, name := range names(committed) {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("data", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("data/%s differs from what its release generates: run hack/gen-builtin-rbac.sh", name)
		}
	}
}
