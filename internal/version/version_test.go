package version

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	vcs := &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/kguard/kguard", Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-11-02T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, c := range []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		{"release stamp wins", "v0.1.0", "feedface", "2026-12-01T00:00:00Z", vcs,
			Info{Version: "v0.1.0", Commit: "feedface", Date: "2026-12-01T00:00:00Z", Modified: true}},
		{"toolchain's VCS stamp", "", "", "", vcs,
			Info{Version: "dev-0123456789ab", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-11-02T10:00:00Z", Modified: true}},
		{"go install module@version", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.2.0"}},
			Info{Version: "v0.2.0"}},
		{"nothing known", "", "", "", nil, Info{Version: "dev"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := get(c.version, c.commit, c.date, c.bi)
			got.Go, got.Platform = "", ""
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestInfoString(t *testing.T) {
	got := Info{Version: "v0.1.0", Commit: "abc", Go: "go1.26.8", Platform: "linux/arm64"}.String()
	want := "kguard v0.1.0\ncommit: abc\ndate:   unknown\ngo:     go1.26.8 linux/arm64\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestLinkerStamp builds a program that prints Get() with the -X flags the
// release script passes, so a renamed variable or a flag the linker ignores
// fails here rather than in a release.
func TestLinkerStamp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir := t.TempDir()
	const pkg = "github.com/kguard/kguard/internal/version."
	bin := filepath.Join(dir, "stamp")
	build := exec.Command("go", "build", "-o", bin, "-ldflags",
		"-X "+pkg+"Version=v9.8.7 -X "+pkg+"Commit=c0ffee -X "+pkg+"Date=2026-12-07T08:00:00Z", "./testdata/stamp")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kguard v9.8.7\n", "commit: c0ffee\n", "date:   2026-12-07T08:00:00Z\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}
