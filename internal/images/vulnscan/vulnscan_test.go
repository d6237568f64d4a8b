package vulnscan

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kguard/kguard/internal/images/imagetest"
	"github.com/kguard/kguard/internal/images/inventory"
	"github.com/kguard/kguard/internal/vulndb"
)

var now = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "inventory", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func matcher(t testing.TB) *vulndb.Matcher {
	t.Helper()
	dir := t.TempDir()
	if _, err := vulndb.Import(dir, []vulndb.Input{{Name: "test", Path: "../../vulndb/testdata/osv"}}, now); err != nil {
		t.Fatal(err)
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return vulndb.NewMatcher(db)
}

const lock = `{"name":"web","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"web","version":"1.0.0"},"node_modules/lodash":{"version":"4.17.20"}}}`

// debian: the lodash lockfile of the second layer is deleted by a
// whiteout in the third when withWhiteout is set.
func debian(t testing.TB, withWhiteout bool) v1.Image {
	layers := []v1.Layer{
		imagetest.Layer(t,
			imagetest.File{Path: "etc/os-release", Content: testdata(t, "debian/os-release")},
			imagetest.File{Path: "var/lib/dpkg/status", Content: testdata(t, "debian/status")},
		),
		imagetest.Layer(t,
			imagetest.File{Path: "usr/lib/python3/dist-packages/urllib3-1.26.4.dist-info/METADATA", Content: []byte("Metadata-Version: 2.1\nName: urllib3\nVersion: 1.26.4\n")},
			imagetest.File{Path: "srv/web/package-lock.json", Content: []byte(lock)},
		),
	}
	if withWhiteout {
		layers = append(layers, imagetest.Layer(t, imagetest.File{Path: "srv/web/package-lock.json", Whiteout: true}))
	}
	return imagetest.Image(t, "", layers...)
}

func ids(vs []Vulnerability) string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID+"/"+v.Package+"/"+v.Installed+"->"+v.Fixed)
	}
	return strings.Join(out, " ")
}

// TestScan: images pushed to an in-process registry and scanned by
// reference; the expected vulnerabilities follow from the hand-written
// package databases and advisories (worked out in internal/vulndb's
// TestMatch), sorted most severe first.
func TestScan(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	deb := reg.Push(t, "debian:12", debian(t, true))
	debNoWhiteout := reg.Push(t, "debian:control", debian(t, false))
	alp := reg.Push(t, "alpine:3.20", imagetest.Image(t, "", imagetest.Layer(t,
		imagetest.File{Path: "etc/os-release", Content: testdata(t, "alpine/os-release")},
		imagetest.File{Path: "lib/apk/db/installed", Content: testdata(t, "alpine/installed")},
	)))
	alma := reg.Push(t, "alma:9", imagetest.Image(t, "", imagetest.Layer(t,
		imagetest.File{Path: "etc/os-release", Content: testdata(t, "rpm/os-release")},
		imagetest.File{Path: "var/lib/rpm/rpmdb.sqlite", Content: testdata(t, "rpm/rpmdb.sqlite")},
	)))
	reg2 := imagetest.NewRegistry(t)
	reg2.Server.Close()
	gone := reg2.Host + "/gone:1"

	m := matcher(t)
	res := Scan(ctx, []string{deb, alp, gone, alma, deb, debNoWhiteout}, m, Options{Now: now, Cache: inventory.Cache{Dir: t.TempDir()}})
	if len(res) != 5 {
		t.Fatalf("%d results, want 5 (the repeated image scanned once)", len(res))
	}
	want := map[string]string{
		deb: "DEBIAN-CVE-2099-0002/libtilde1/2.0~rc1-1->2.0-1 DEBIAN-CVE-2099-0017/libtiff6/4.5.0-6+deb12u1-> " +
			"DEBIAN-CVE-2099-0004/libssl3/3.0.11-1~deb12u2->3.0.13-1~deb12u1 PYSEC-2099-0012/urllib3/1.26.4->1.26.5",
		// Without the whiteout the deleted lockfile's lodash is reported:
		// the control shows the whiteout is what removes it.
		debNoWhiteout: "DEBIAN-CVE-2099-0002/libtilde1/2.0~rc1-1->2.0-1 DEBIAN-CVE-2099-0017/libtiff6/4.5.0-6+deb12u1-> " +
			"GHSA-2099-0013/lodash/4.17.20-> DEBIAN-CVE-2099-0004/libssl3/3.0.11-1~deb12u2->3.0.13-1~deb12u1 PYSEC-2099-0012/urllib3/1.26.4->1.26.5",
		alp:  "ALPINE-CVE-2099-0006/libcrypto3/3.3.1_p1-r0->3.3.1_p2-r0 ALPINE-CVE-2099-0007/musl/1.2.5-r0->1.2.5-r1",
		alma: "ALSA-2099:0008/openssl-libs/1:3.0.7-25.el9->1:3.0.7-27.el9",
	}
	for _, img := range res {
		if img.Ref == gone {
			if !strings.Contains(img.Error, "image "+gone) {
				t.Errorf("unreachable registry: error %q", img.Error)
			}
			continue
		}
		if img.Failed() {
			t.Errorf("%s: %s %v", img.Ref, img.Error, img.Problems)
		}
		if got := ids(img.Vulnerabilities); got != want[img.Ref] {
			t.Errorf("%s:\n got %s\nwant %s", img.Ref, got, want[img.Ref])
		}
	}
	if v := res[0].Vulnerabilities[0]; v.Severity != "CRITICAL" || v.Score != 9.8 || v.Aliases[0] != "CVE-2099-0002" || v.Layer == "" || v.Path != "/var/lib/dpkg/status" {
		t.Errorf("details: %+v", v)
	}
}

func TestIgnores(t *testing.T) {
	m := matcher(t)
	inv := &inventory.Inventory{Image: "reg.example/app:1", Packages: []inventory.Package{
		{Name: "libtilde1", Version: "2.0~rc1-1", SourceName: "tilde", Ecosystem: "Debian:12"},
		{Name: "libtiff6", Version: "4.5.0-6+deb12u1", SourceName: "tiff", Ecosystem: "Debian:12"},
	}}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tc := range []struct {
		name          string
		o             Options
		count, ignore string
	}{
		{"none", Options{}, "DEBIAN-CVE-2099-0002/libtilde1/2.0~rc1-1->2.0-1 DEBIAN-CVE-2099-0017/libtiff6/4.5.0-6+deb12u1->", ""},
		{"unfixed", Options{IgnoreUnfixed: true}, "DEBIAN-CVE-2099-0002/libtilde1/2.0~rc1-1->2.0-1", ""},
		{"by alias", Options{Ignores: []Ignore{{ID: "CVE-2099-0002", Reason: "r", Expires: day("2026-10-05")}}},
			"DEBIAN-CVE-2099-0017/libtiff6/4.5.0-6+deb12u1->", "DEBIAN-CVE-2099-0002/libtilde1/2.0~rc1-1->2.0-1"},
		{"expired", Options{Ignores: []Ignore{{ID: "CVE-2099-0002", Reason: "r", Expires: day("2026-10-03")}}},
			"DEBIAN-CVE-2099-0002/libtilde1/2.0~rc1-1->2.0-1 DEBIAN-CVE-2099-0017/libtiff6/4.5.0-6+deb12u1->", ""},
		{"other package", Options{Ignores: []Ignore{{ID: "DEBIAN-CVE-2099-0017", Packages: []string{"libtilde*"}, Reason: "r"}}},
			"DEBIAN-CVE-2099-0002/libtilde1/2.0~rc1-1->2.0-1 DEBIAN-CVE-2099-0017/libtiff6/4.5.0-6+deb12u1->", ""},
		{"image glob", Options{Ignores: []Ignore{{ID: "DEBIAN-CVE-2099-0017", Images: []string{"reg.example/*"}, Reason: "r"}}},
			"DEBIAN-CVE-2099-0002/libtilde1/2.0~rc1-1->2.0-1", "DEBIAN-CVE-2099-0017/libtiff6/4.5.0-6+deb12u1->"},
	} {
		tc.o.Now = now
		img := Match(inv, m, tc.o)
		if got := ids(img.Vulnerabilities); got != tc.count {
			t.Errorf("%s: counted %s, want %s", tc.name, got, tc.count)
		}
		if got := ids(img.Ignored); got != tc.ignore {
			t.Errorf("%s: ignored %s, want %s", tc.name, got, tc.ignore)
		}
	}
}
