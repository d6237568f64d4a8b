package inventory

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/kguard/kguard/internal/images/access"
	"github.com/kguard/kguard/internal/images/imagetest"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// jar is a Java archive with the Maven metadata a build writes into it.
func jar(t testing.TB, group, artifact, version string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("META-INF/MANIFEST.MF")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("Manifest-Version: 1.0\r\nImplementation-Title: " + artifact + "\r\nImplementation-Version: " + version + "\r\n\r\n"))
	w, err = zw.Create("META-INF/maven/" + group + "/" + artifact + "/pom.properties")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("groupId=" + group + "\nartifactId=" + artifact + "\nversion=" + version + "\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const packageLock = `{
  "name": "web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": "web", "version": "1.0.0", "dependencies": {"lodash": "4.17.20"}},
    "node_modules/lodash": {"version": "4.17.20", "resolved": "https://registry.example.invalid/lodash/-/lodash-4.17.20.tgz"}
  }
}
`

func distInfo(name, version string) []byte {
	return []byte("Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nSummary: test\n")
}

// debianImage: Debian 12 with a dpkg status file, a distroless status.d
// entry, Python, npm and Java packages; the top layer deletes the Python
// package and the npm lockfile with whiteouts.
func debianImage(t testing.TB) v1.Image {
	return imagetest.Image(t, "",
		imagetest.Layer(t,
			imagetest.File{Path: "etc/os-release", Content: read(t, "debian/os-release")},
			imagetest.File{Path: "var/lib/dpkg/status", Content: read(t, "debian/status")},
			imagetest.File{Path: "var/lib/dpkg/status.d/tzdata", Content: read(t, "debian/tzdata")},
		),
		imagetest.Layer(t,
			imagetest.File{Path: "usr/lib/python3/dist-packages/requests-2.25.0.dist-info/METADATA", Content: distInfo("requests", "2.25.0")},
			imagetest.File{Path: "usr/lib/python3/dist-packages/urllib3-1.26.4.dist-info/METADATA", Content: distInfo("urllib3", "1.26.4")},
			imagetest.File{Path: "srv/web/package-lock.json", Content: []byte(packageLock)},
			imagetest.File{Path: "opt/app/lib/log4j-core-2.14.1.jar", Content: jar(t, "org.apache.logging.log4j", "log4j-core", "2.14.1")},
		),
		imagetest.Layer(t,
			imagetest.File{Path: "usr/lib/python3/dist-packages/requests-2.25.0.dist-info", Whiteout: true},
			imagetest.File{Path: "srv/web/package-lock.json", Whiteout: true},
		),
	)
}

func alpineImage(t testing.TB) v1.Image {
	return imagetest.Image(t, "", imagetest.Layer(t,
		imagetest.File{Path: "etc/os-release", Content: read(t, "alpine/os-release")},
		imagetest.File{Path: "lib/apk/db/installed", Content: read(t, "alpine/installed")},
	))
}

func rpmImage(t testing.TB) v1.Image {
	return imagetest.Image(t, "", imagetest.Layer(t,
		imagetest.File{Path: "etc/os-release", Content: read(t, "rpm/os-release")},
		imagetest.File{Path: "var/lib/rpm/rpmdb.sqlite", Content: read(t, "rpm/rpmdb.sqlite")},
	))
}

// summary is "ecosystem name version [source]" per package, sorted.
func summary(inv *Inventory) []string {
	var out []string
	for _, p := range inv.Packages {
		s := p.Ecosystem + " " + p.Name + " " + p.Version
		if p.SourceName != "" && p.SourceName != p.Name {
			s += " src=" + p.SourceName
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func extract(t *testing.T, img v1.Image) *Inventory {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	ai, err := access.Open(context.Background(), "oci-layout:"+dir, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Extract(context.Background(), ai, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestExtract checks each OS and language ecosystem against the test
// data written by hand (the expected lists are read off those files).
func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  func(testing.TB) v1.Image
		want []string
	}{
		{"debian", debianImage, []string{
			"Debian:12 bash 5.2.15-2+b2",
			"Debian:12 libedge1 1:2.0~rc1-1 src=edge",
			"Debian:12 libssl3 3.0.11-1~deb12u2 src=openssl",
			"Debian:12 libtiff6 4.5.0-6+deb12u1 src=tiff",
			"Debian:12 libtilde1 2.0~rc1-1 src=tilde",
			"Debian:12 tzdata 2024a-0+deb12u1",
			"Maven org.apache.logging.log4j:log4j-core 2.14.1",
			// requests and the npm lockfile were deleted by whiteouts.
			"PyPI urllib3 1.26.4",
		}},
		{"alpine", alpineImage, []string{
			"Alpine:v3.20 busybox 1.36.1-r28",
			"Alpine:v3.20 libcrypto3 3.3.1_p1-r0 src=openssl",
			"Alpine:v3.20 musl 1.2.5-r0",
		}},
		{"rpm", rpmImage, []string{
			"AlmaLinux:9 curl 7.76.1-29.el9",
			"AlmaLinux:9 openssl-libs 1:3.0.7-25.el9",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := extract(t, tc.img(t))
			if len(inv.Problems) > 0 {
				t.Errorf("problems: %q", inv.Problems)
			}
			got := summary(inv)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("packages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestLayerAttribution: the whiteout test's remaining packages name the
// layer that added them.
func TestLayerAttribution(t *testing.T) {
	inv := extract(t, debianImage(t))
	for _, p := range inv.Packages {
		want := 0
		if p.Ecosystem == "PyPI" || p.Ecosystem == "Maven" {
			want = 1
		}
		if p.LayerIndex != want || !strings.HasPrefix(p.Layer, "sha256:") {
			t.Errorf("%s: layer %d %q, want index %d", p.Name, p.LayerIndex, p.Layer, want)
		}
		if p.Path == "" || p.PURL == "" || p.Type == "" {
			t.Errorf("%s: path %q purl %q type %q", p.Name, p.Path, p.PURL, p.Type)
		}
	}
}

// TestGoBinary: module versions and the Go version come from the build
// info of a binary built by the test against an old module.
func TestGoBinary(t *testing.T) {
	bin := imagetest.GoBinary(t, imagetest.OldTextModule)
	inv := extract(t, imagetest.Image(t, "", imagetest.Layer(t, imagetest.File{Path: "usr/local/bin/app", Content: bin, Mode: 0o755})))
	var text, stdlib bool
	for _, p := range inv.Packages {
		switch {
		case p.Ecosystem == "Go" && p.Name == "golang.org/x/text" && p.Version == "0.3.5":
			text = true
		case p.Ecosystem == "Go" && p.Name == "stdlib" && p.Version != "":
			stdlib = true
		}
		if p.Path != "/usr/local/bin/app" {
			t.Errorf("%s found at %q", p.Name, p.Path)
		}
	}
	if !text || !stdlib {
		t.Errorf("want golang.org/x/text 0.3.5 and stdlib; got %v", summary(inv))
	}
}

// TestCorruptDatabase: a damaged package database is a problem naming the
// image, the layer and the file; the other databases are still read.
func TestCorruptDatabase(t *testing.T) {
	junk := bytes.Repeat([]byte("SQLite format 3\x00 this is not a database "), 200)
	img := imagetest.Image(t, "",
		imagetest.Layer(t,
			imagetest.File{Path: "etc/os-release", Content: read(t, "rpm/os-release")},
			imagetest.File{Path: "srv/web/package-lock.json", Content: []byte(packageLock)},
		),
		imagetest.Layer(t, imagetest.File{Path: "var/lib/rpm/rpmdb.sqlite", Content: junk}),
	)
	inv := extract(t, img)
	if len(inv.Problems) == 0 {
		t.Fatalf("no problem reported for a corrupt rpmdb; packages %v", summary(inv))
	}
	p := inv.Problems[0]
	for _, want := range []string{"image oci-layout:", "layer 2 of 2 (sha256:", "var/lib/rpm/rpmdb.sqlite", "os/rpm"} {
		if !strings.Contains(p, want) {
			t.Errorf("problem %q lacks %q", p, want)
		}
	}
	if got := summary(inv); len(got) != 1 || got[0] != "npm lodash 4.17.20" {
		t.Errorf("other packages: %v", got)
	}
}

// TestTruncatedLayer: an image whose layer is cut short fails with an
// error naming the image and the layer.
func TestTruncatedLayer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	img := debianImage(t)
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	ls, _ := img.Layers()
	d, _ := ls[1].Digest()
	blob := filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
	data, _ := os.ReadFile(blob)
	if err := os.WriteFile(blob, data[:len(data)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	ai, err := access.Open(context.Background(), "oci-layout:"+dir, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Extract(context.Background(), ai, Options{})
	if err == nil || !strings.Contains(err.Error(), "layer 2 of 3 ("+d.String()+")") || !strings.Contains(err.Error(), "image oci-layout:"+dir) {
		t.Errorf("truncated layer: %v", err)
	}
}

// TestCache: a second Load of the same image reads no layer.
func TestCache(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	ref := reg.Push(t, "alpine:3.20", alpineImage(t))
	c := Cache{Dir: t.TempDir()}
	inv1, cached, err := Load(ctx, ref, access.Options{}, c, Options{})
	if err != nil || cached {
		t.Fatalf("first load: cached=%v err=%v", cached, err)
	}
	blobs := reg.BlobGets()
	inv2, cached, err := Load(ctx, ref, access.Options{}, c, Options{})
	if err != nil || !cached {
		t.Fatalf("second load: cached=%v err=%v", cached, err)
	}
	// The config blob names the image ID; no layer is fetched.
	if got := reg.BlobGets() - blobs; got > 1 {
		t.Errorf("second load fetched %d blobs", got)
	}
	if strings.Join(summary(inv1), ",") != strings.Join(summary(inv2), ",") {
		t.Errorf("cached inventory differs: %v vs %v", summary(inv1), summary(inv2))
	}
	// A damaged entry is a miss, not an error.
	if err := os.WriteFile(c.path(inv1.ConfigDigest), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, cached, err := Load(ctx, ref, access.Options{}, c, Options{}); err != nil || cached {
		t.Errorf("damaged cache entry: cached=%v err=%v", cached, err)
	}
}
