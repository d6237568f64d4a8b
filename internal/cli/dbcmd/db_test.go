package dbcmd

import (
	"archive/zip"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
)

func cmdAt(now time.Time) func(*cmdutil.Streams) *cobra.Command {
	return func(s *cmdutil.Streams) *cobra.Command { return newCmd(Options{Streams: s, Now: now}) }
}

func TestImportInfo(t *testing.T) {
	db := t.TempDir()
	at := func(day string) func(*cmdutil.Streams) *cobra.Command {
		d, _ := time.Parse(time.DateOnly, day)
		return cmdAt(d)
	}
	out, errOut, code := clitest.Run(t, at("2026-10-05"), "import", "--db", db, "../../vulndb/testdata/osv")
	if code != 0 || !strings.Contains(out, "read 17 records (1 withdrawn); the database holds 16 advisories") {
		t.Fatalf("import: exit %d %s %s", code, out, errOut)
	}
	out, errOut, code = clitest.Run(t, at("2026-10-05"), "info", "--db", db)
	if code != 0 || !strings.Contains(out, "advisories  16") || !strings.Contains(out, "age         4 days") || errOut != "" {
		t.Errorf("fresh info: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, eco := range []string{"Debian 5", "Alpine 3", "AlmaLinux 2", "Go 2", "npm 1", "PyPI 1", "Maven 2"} {
		if !strings.Contains(out, eco) {
			t.Errorf("info lacks %q", eco)
		}
	}
	_, errOut, _ = clitest.Run(t, at("2026-10-20"), "info", "--db", db)
	if !strings.Contains(errOut, "warning: the vulnerability data is 19 days old") {
		t.Errorf("stale info: %q", errOut)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{"), 0o644)
	_, errOut, code = clitest.Run(t, at("2026-10-05"), "import", "--db", db, bad)
	if code != 2 || !strings.Contains(errOut, bad) {
		t.Errorf("bad record: exit %d %s", code, errOut)
	}
	os.WriteFile(filepath.Join(db, "advisories.kgdb"), []byte("xx"), 0o644)
	_, errOut, code = clitest.Run(t, at("2026-10-05"), "info", "--db", db)
	if code != 2 || !strings.Contains(errOut, "corrupt") {
		t.Errorf("corrupt: exit %d %s", code, errOut)
	}
}

// TestUpdate serves a zip export on loopback in OSV's layout.
func TestUpdate(t *testing.T) {
	exports := t.TempDir()
	os.MkdirAll(filepath.Join(exports, "Go"), 0o755)
	f, _ := os.Create(filepath.Join(exports, "Go", "all.zip"))
	zw := zip.NewWriter(f)
	for _, n := range []string{"GO-2099-0010.json", "GO-2099-0011.json"} {
		data, _ := os.ReadFile(filepath.Join("../../vulndb/testdata/osv", n))
		w, _ := zw.Create(n)
		w.Write(data)
	}
	zw.Close()
	f.Close()
	srv := httptest.NewServer(http.FileServer(http.Dir(exports)))
	defer srv.Close()
	out, errOut, code := clitest.Run(t, cmdAt(time.Now()), "update", "--db", t.TempDir(), "--url", srv.URL, "--ecosystem", "Go")
	if code != 0 || !strings.Contains(out, "read 2 records (0 withdrawn); the database holds 2 advisories") {
		t.Errorf("update: exit %d %s %s", code, out, errOut)
	}
}

// TestInfoBadOutput: an unknown -o is a usage error before the database
// is opened, with nothing printed.
func TestInfoBadOutput(t *testing.T) {
	out, errOut, code := clitest.Run(t, cmdAt(time.Now()), "info", "--db", t.TempDir(), "-o", "yaml")
	if code != 2 || out != "" || !strings.Contains(errOut, `unknown output format "yaml"`) {
		t.Errorf("exit %d, out %q, err %q", code, out, errOut)
	}
}
