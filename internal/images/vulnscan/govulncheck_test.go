package vulnscan

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"golang.org/x/vuln/scan"

	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/imagetest"
	"github.com/kguard/kguard/internal/images/inventory"
	"github.com/kguard/kguard/internal/vulndb"
)

// goVulnDB is the golang.org/x/vulndb version whose data/osv directory
// (the Go vulnerability database in OSV form) both tools read.
const goVulnDB = "golang.org/x/vulndb@v0.0.0-20261105234957-e22db6528018"

// goVulnDBDir downloads (or finds in the module cache) the vulndb module.
func goVulnDBDir(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command(gobin, "mod", "download", "-json", goVulnDB)
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", goVulnDB, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("go mod download: %s", out)
	}
	return filepath.Join(m.Dir, "data", "osv")
}

// govulncheck runs golang.org/x/vuln's govulncheck in process, in binary
// mode at the given scan level, and returns the OSV IDs of its findings
// that name a module (at "symbol" level: only those whose vulnerable
// symbols are in the binary).
func govulncheck(t *testing.T, db, bin, level string) map[string]string {
	t.Helper()
	var out bytes.Buffer
	cmd := scan.Command(context.Background(), "-mode=binary", "-json", "-scan", level, "-db", "file://"+db, bin)
	cmd.Stdout, cmd.Stderr = &out, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("govulncheck: %v", err)
	}
	found := map[string]string{}
	dec := json.NewDecoder(&out)
	for {
		var msg struct {
			Finding *struct {
				OSV   string `json:"osv"`
				Trace []struct {
					Module   string `json:"module"`
					Function string `json:"function"`
				} `json:"trace"`
			} `json:"finding"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("govulncheck output: %v", err)
		}
		f := msg.Finding
		if f == nil || len(f.Trace) == 0 {
			continue
		}
		if level == "symbol" && f.Trace[0].Function == "" {
			continue // a module- or package-level finding only
		}
		found[f.OSV] = f.Trace[0].Module
	}
	return found
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestAgainstGovulncheck: a Go binary built by the test against
// golang.org/x/text v0.3.5 is put in an image, inventoried and matched by
// kguard against the real Go vulnerability database; govulncheck, Go's own
// tool, reads the same binary with the same data. At module level the two
// must list the same advisories; at symbol level govulncheck's findings
// must be a subset of kguard's (kguard cannot see which functions a
// binary calls, so it reports every advisory of the module version, as
// govulncheck does at module level, including the operating-system limits
// of Go advisories: an advisory for Windows-only code is not reported for
// a linux/amd64 binary). A deliberately broken model (fixed events
// ignored) must disagree in the same run.
func TestAgainstGovulncheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary and reads the Go vulnerability database")
	}
	osvDir := goVulnDBDir(t)
	bin := imagetest.GoBinary(t, imagetest.OldTextModule)
	binPath := filepath.Join(t.TempDir(), "app")
	if err := os.WriteFile(binPath, bin, 0o755); err != nil {
		t.Fatal(err)
	}

	// kguard: the binary inside an image, read like any image.
	dir := filepath.Join(t.TempDir(), "layout")
	lp, _ := layout.Write(dir, empty.Index)
	if err := lp.AppendImage(imagetest.Image(t, "", imagetest.Layer(t, imagetest.File{Path: "app", Content: bin, Mode: 0o755}))); err != nil {
		t.Fatal(err)
	}
	img, err := access.Open(context.Background(), "oci-layout:"+dir, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := inventory.Extract(context.Background(), img, inventory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dbDir := t.TempDir()
	res, err := vulndb.Import(dbDir, []vulndb.Input{{Name: goVulnDB, Path: osvDir}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) > 0 {
		t.Fatalf("import: %v", res.Problems[0])
	}
	db, err := vulndb.Open(dbDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kg := map[string]string{}
	for _, v := range Match(inv, vulndb.NewMatcher(db), Options{Now: now}).Vulnerabilities {
		if v.Ecosystem == "Go" {
			kg[v.ID] = v.Package
		}
	}

	modLevel := govulncheck(t, osvDir, binPath, "module")
	symLevel := govulncheck(t, osvDir, binPath, "symbol")
	t.Logf("kguard: %v", keys(kg))
	t.Logf("govulncheck -scan module: %v", keys(modLevel))
	t.Logf("govulncheck -scan symbol: %v", keys(symLevel))

	// The test binary must exercise the comparison: x/text v0.3.5 has
	// published advisories, and the binary calls language.Parse.
	if len(symLevel) == 0 || modLevel["GO-2021-0113"] == "" {
		t.Fatalf("govulncheck found nothing to compare: module %v symbol %v", keys(modLevel), keys(symLevel))
	}
	for id, mod := range modLevel {
		if _, ok := kg[id]; !ok {
			t.Errorf("govulncheck (module level) reports %s in %s; kguard does not", id, mod)
		}
	}
	for id, mod := range kg {
		if _, ok := modLevel[id]; !ok {
			t.Errorf("kguard reports %s in %s; govulncheck at module level does not", id, mod)
		}
	}
	for id := range symLevel {
		if _, ok := kg[id]; !ok {
			t.Errorf("govulncheck (symbol level) reports %s; kguard does not", id)
		}
	}
	// The differences at symbol level are advisories whose vulnerable
	// functions the binary does not contain: govulncheck proves them
	// unreachable, kguard reports them at module level.
	for _, id := range keys(kg) {
		if _, ok := symLevel[id]; !ok {
			t.Logf("explained: %s (%s) is in the module version but its symbols are not in the binary", id, kg[id])
		}
	}

	// Negative control: a model that ignores fixed events reports
	// advisories already fixed in v0.3.5 (GO-2020-0015, fixed in 0.3.3),
	// and so must disagree with govulncheck.
	broken := map[string]string{}
	for _, p := range inv.Packages {
		if p.Ecosystem != "Go" {
			continue
		}
		advs, err := db.Lookup("Go", QueryFor(p).Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range advs {
			for _, af := range a.Affected {
				if af.Name == p.Name {
					broken[a.ID] = p.Name // every advisory, fixed or not
				}
			}
		}
	}
	agree := len(broken) == len(modLevel)
	for id := range broken {
		agree = agree && modLevel[id] != ""
	}
	if agree || broken["GO-2020-0015"] == "" {
		t.Errorf("the broken model agrees with govulncheck (%v): the comparison cannot fail", keys(broken))
	}
}
