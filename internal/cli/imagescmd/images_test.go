package imagescmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/clitest"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/images/imagetest"
	"github.com/kguard/kguard/internal/images/signtest"
	"github.com/kguard/kguard/internal/vulndb"
)

var now = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)

func file(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "images", "inventory", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func alpine(t testing.TB) v1.Image {
	return imagetest.Image(t, "", imagetest.Layer(t,
		imagetest.File{Path: "etc/os-release", Content: file(t, "alpine/os-release")},
		imagetest.File{Path: "lib/apk/db/installed", Content: file(t, "alpine/installed")},
	))
}

func testDB(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := vulndb.Import(dir, []vulndb.Input{{Name: "test", Path: "../../vulndb/testdata/osv"}}, now); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newCmd(s *cmdutil.Streams) *cobra.Command { return NewCmd(s) }

// TestScanCommand scans the same image by reference, from an OCI layout
// and from a docker archive, through the command line.
func TestScanCommand(t *testing.T) {
	reg := imagetest.NewRegistry(t)
	img := alpine(t)
	ref := reg.Push(t, "alpine:3.20", img)
	dir := t.TempDir()
	lp, _ := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("example.test/alpine:3.20")
	if err := tarball.WriteToFile(filepath.Join(dir, "a.tar"), tag, img); err != nil {
		t.Fatal(err)
	}
	db := testDB(t)
	refs := []string{ref, "oci-layout:" + filepath.Join(dir, "layout"), "docker-archive:" + filepath.Join(dir, "a.tar")}
	out, errOut, code := clitest.Run(t, newCmd, append([]string{"scan", "--db", db, "--no-cache", "-o", "json"}, refs...)...)
	// ALPINE-CVE-2099-0006 has no CVSS: unknown severity, below --fail-on high.
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Images []struct {
			Image           string
			Vulnerabilities []struct{ ID, Package, Installed, Fixed string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Images) != 3 {
		t.Fatalf("%d images", len(doc.Images))
	}
	for i, im := range doc.Images {
		var got []string
		for _, v := range im.Vulnerabilities {
			got = append(got, v.ID+" "+v.Package+" "+v.Installed+" "+v.Fixed)
		}
		want := "ALPINE-CVE-2099-0006 libcrypto3 3.3.1_p1-r0 3.3.1_p2-r0|ALPINE-CVE-2099-0007 musl 1.2.5-r0 1.2.5-r1"
		if im.Image != refs[i] || strings.Join(got, "|") != want {
			t.Errorf("%s: %v", im.Image, got)
		}
	}
	out, _, code = clitest.Run(t, newCmd, "scan", "--db", db, "--no-cache", "--fail-on", "info", ref)
	if code != 1 || !strings.Contains(out, "ALPINE-CVE-2099-0007") || !strings.Contains(out, "CVE-2099-0007") || !strings.Contains(out, "2 vulnerabilities") {
		t.Errorf("table (exit %d):\n%s", code, out)
	}
	out, _, code = clitest.Run(t, newCmd, "scan", "--db", db, "--no-cache", "-o", "sarif", ref)
	if code != 0 || !strings.Contains(out, `"ruleId": "ALPINE-CVE-2099-0006"`) || !strings.Contains(out, `"version": "2.1.0"`) {
		t.Errorf("sarif (exit %d):\n%.400s", code, out)
	}
}

// TestScanBadInputs: a truncated layer and an unreachable registry are
// errors naming the image (and layer); the good image is still reported;
// exit 2. A missing or corrupt database is a clear error too.
func TestScanBadInputs(t *testing.T) {
	reg := imagetest.NewRegistry(t)
	good := reg.Push(t, "alpine:3.20", alpine(t))
	dir := filepath.Join(t.TempDir(), "layout")
	lp, _ := layout.Write(dir, empty.Index)
	img := alpine(t)
	lp.AppendImage(img)
	ls, _ := img.Layers()
	d, _ := ls[0].Digest()
	blob := filepath.Join(dir, "blobs", "sha256", d.Hex)
	data, _ := os.ReadFile(blob)
	os.WriteFile(blob, data[:len(data)/2], 0o644)
	dead := imagetest.NewRegistry(t)
	dead.Server.Close()

	db := testDB(t)
	out, errOut, code := clitest.Run(t, newCmd, "scan", "--db", db, "--no-cache", good, "oci-layout:"+dir, dead.Host+"/x:1")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{"image oci-layout:" + dir + " layer 1 of 1 (" + d.String() + ")", "image " + dead.Host + "/x:1"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.Contains(out, "ALPINE-CVE-2099-0007") {
		t.Errorf("the good image was not reported:\n%s", out)
	}

	os.WriteFile(filepath.Join(db, vulndb.FileName), []byte("garbage"), 0o644)
	_, errOut, code = clitest.Run(t, newCmd, "scan", "--db", db, "--no-cache", good)
	if code != 2 || !strings.Contains(errOut, "corrupt") || !strings.Contains(errOut, vulndb.FileName) {
		t.Errorf("corrupt db: exit %d %s", code, errOut)
	}
	_, errOut, code = clitest.Run(t, newCmd, "scan", "--db", t.TempDir(), good)
	if code != 2 || !strings.Contains(errOut, "kguard db import") {
		t.Errorf("missing db: exit %d %s", code, errOut)
	}
}

func TestSBOMCommand(t *testing.T) {
	reg := imagetest.NewRegistry(t)
	ref := reg.Push(t, "alpine:3.20", alpine(t))
	for _, f := range []string{"cyclonedx", "spdx"} {
		out, errOut, code := clitest.Run(t, newCmd, "sbom", "--no-cache", "-o", f, ref)
		if code != 0 {
			t.Fatalf("%s: exit %d %s", f, code, errOut)
		}
		for _, want := range []string{"musl", "libcrypto3", "pkg:apk/alpine/musl@1.2.5-r0"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", f, want)
			}
		}
	}
}

func TestVerifyCommand(t *testing.T) {
	reg := imagetest.NewRegistry(t)
	signed := reg.Push(t, "alpine:signed", alpine(t))
	unsigned := reg.Push(t, "other:1", imagetest.Image(t, "", imagetest.Layer(t, imagetest.File{Path: "x", Content: []byte("x")})))
	s, _ := signtest.NewKeySigner()
	r, _ := name.ParseReference(signed)
	if err := s.SignImage(r, nil); err != nil {
		t.Fatal(err)
	}
	pub, _ := s.PublicKeyPEM()
	key := filepath.Join(t.TempDir(), "cosign.pub")
	os.WriteFile(key, pub, 0o644)
	out, errOut, code := clitest.Run(t, newCmd, "verify", "--key", key, signed)
	if code != 0 || !strings.HasPrefix(out, "VERIFIED "+signed) {
		t.Errorf("signed: exit %d %s %s", code, out, errOut)
	}
	out, _, code = clitest.Run(t, newCmd, "verify", "--key", key, signed, unsigned)
	if code != 1 || !strings.Contains(out, "NOT VERIFIED "+unsigned) {
		t.Errorf("unsigned: exit %d %s", code, out)
	}
}

// TestVerifyBadOutput: an unknown -o is a usage error before any registry
// is asked (it used to print the table).
func TestVerifyBadOutput(t *testing.T) {
	out, errOut, code := clitest.Run(t, newCmd, "verify", "--key", "cosign.pub", "-o", "yaml", "example.test/img:1")
	if code != 2 || out != "" || !strings.Contains(errOut, `unknown output format "yaml"`) {
		t.Errorf("exit %d, out %q, err %q", code, out, errOut)
	}
}
