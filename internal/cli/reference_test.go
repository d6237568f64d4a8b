package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clidoc"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

var update = flag.Bool("update", false, "rewrite docs/cli/ from the command tree")

var referenceDir = filepath.Join("..", "..", "docs", "cli")

// TestCLIReference fails when docs/cli/ is not what the command tree
// renders to: a page stale, missing, or left over from a command that is
// gone. go test ./internal/cli -update rewrites it.
func TestCLIReference(t *testing.T) {
	files, err := clidoc.Files(NewRootCmd(testStreams()))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := clidoc.Write(referenceDir, files); err != nil {
			t.Fatal(err)
		}
		return
	}
	diffs, err := clidoc.Compare(referenceDir, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Errorf("docs/cli/ is stale (run: go test ./internal/cli -update):\n%s", strings.Join(diffs, "\n"))
	}
}

// TestCLIReferenceCoversTree: every command --help lists has its page,
// and rendering is deterministic (two trees, the same bytes), so the drift
// test cannot pass by rendering too little or fail by rendering a date.
func TestCLIReferenceCoversTree(t *testing.T) {
	files, err := clidoc.Files(NewRootCmd(testStreams()))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	var visit func(*cobra.Command)
	visit = func(c *cobra.Command) {
		want = append(want, clidoc.FileName(c))
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				visit(sub)
			}
		}
	}
	visit(NewRootCmd(testStreams()))
	var got []string
	for name := range files {
		got = append(got, name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("pages %v, want one per command: %v", got, want)
	}
	for _, name := range []string{"kguard.md", "kguard_scan.md", "kguard_rbac_who-can.md", "kguard_netpol_can.md", "kguard_version.md"} {
		if !slices.Contains(got, name) {
			t.Errorf("no page %s", name)
		}
	}
	// A page holds its command's flags and its place in the tree.
	if p := string(files["kguard_rbac_who-can.md"]); !strings.Contains(p, "--subresource string") || !strings.Contains(p, "[kguard rbac](kguard_rbac.md)") {
		t.Errorf("kguard_rbac_who-can.md lacks its flags or its parent link:\n%s", p)
	}
	again, err := clidoc.Files(NewRootCmd(testStreams()))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if string(again[name]) != string(b) {
			t.Errorf("%s: two renderings differ", name)
		}
		if strings.Contains(string(b), "Auto generated") {
			t.Errorf("%s: carries cobra's dated footer", name)
		}
	}
}

// TestCompareSeesDrift is the drift test's negative control: a reference
// written from the tree, then edited, is reported file by file.
func TestCompareSeesDrift(t *testing.T) {
	files, err := clidoc.Files(NewRootCmd(testStreams()))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kguard_gone.md"), []byte("# a command since removed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := clidoc.Write(dir, files); err != nil {
		t.Fatal(err)
	}
	if diffs, err := clidoc.Compare(dir, files); err != nil || len(diffs) != 0 {
		t.Fatalf("freshly written reference differs: %v %v", diffs, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kguard_gone.md")); !os.IsNotExist(err) {
		t.Errorf("Write kept the page of a command that is not in the tree")
	}
	if err := os.WriteFile(filepath.Join(dir, "kguard_scan.md"), append(files["kguard_scan.md"], '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "kguard_version.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kguard_extra.md"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	diffs, err := clidoc.Compare(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"kguard_extra.md: not a command", "kguard_scan.md: stale", "kguard_version.md: missing"}
	if !slices.Equal(diffs, want) {
		t.Errorf("Compare = %v, want %v", diffs, want)
	}
}

func testStreams() *cmdutil.Streams {
	return &cmdutil.Streams{In: strings.NewReader(""), Out: new(bytes.Buffer), ErrOut: new(bytes.Buffer)}
}
