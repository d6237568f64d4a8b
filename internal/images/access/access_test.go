package access

import (
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kguard/kguard/internal/images/imagetest"
)

func testImage(t *testing.T, platform, marker string) v1.Image {
	return imagetest.Image(t, platform,
		imagetest.Layer(t, imagetest.File{Path: "etc/marker", Content: []byte(marker)}),
		imagetest.Layer(t, imagetest.File{Path: "app/bin", Content: []byte("bin-" + marker)}))
}

func mustDigest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// readAll reads every layer and returns the file marker from the bottom one.
func readAll(t *testing.T, img v1.Image) {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
}

func TestOpenEverySource(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	img := testImage(t, "linux/amd64", "one")
	want := mustDigest(t, img)
	wantConfig, _ := img.ConfigName()
	ref := reg.Push(t, "app:v1", img)

	dir := t.TempDir()
	lp, err := layout.Write(filepath.Join(dir, "layout"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "app.tar")
	tag, _ := name.NewTag("example.test/app:v1")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		ref  string
		kind Kind
	}{
		{ref, Registry},
		{reg.Host + "/app@" + want.String(), Registry},
		{"oci-layout:" + filepath.Join(dir, "layout"), OCILayout},
		{"oci-layout:" + filepath.Join(dir, "layout") + "@" + want.String(), OCILayout},
		{"docker-archive:" + archive, DockerArchive},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			got, err := Open(ctx, tc.ref, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tc.kind || got.ConfigDigest != wantConfig || got.Ref != tc.ref {
				t.Errorf("got kind %s config %s ref %s, want %s %s %s", got.Kind, got.ConfigDigest, got.Ref, tc.kind, wantConfig, tc.ref)
			}
			// A docker archive holds no manifest of its own.
			if tc.kind != DockerArchive && got.Digest != want {
				t.Errorf("digest %s, want %s", got.Digest, want)
			}
			readAll(t, got.Image)
		})
	}
}

func TestMultiPlatformIndex(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	amd, arm := testImage(t, "linux/amd64", "amd"), testImage(t, "linux/arm64/v8", "arm")
	idx := imagetest.Index(t, amd, arm)
	ref := reg.PushIndex(t, "multi:v1", idx)
	idxDigest, _ := idx.Digest()

	dir := filepath.Join(t.TempDir(), "layout")
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendIndex(idx); err != nil {
		t.Fatal(err)
	}

	for _, src := range []string{ref, "oci-layout:" + dir} {
		for _, tc := range []struct {
			platform string
			want     v1.Image
		}{{"", amd}, {"linux/amd64", amd}, {"linux/arm64", arm}, {"linux/arm64/v8", arm}} {
			var o Options
			if tc.platform != "" {
				p, err := ParsePlatform(tc.platform)
				if err != nil {
					t.Fatal(err)
				}
				o.Platform = p
			}
			got, err := Open(ctx, src, o)
			if err != nil {
				t.Fatalf("%s %s: %v", src, tc.platform, err)
			}
			if got.Digest != mustDigest(t, tc.want) {
				t.Errorf("%s platform %q: digest %s, want %s", src, tc.platform, got.Digest, mustDigest(t, tc.want))
			}
			if got.IndexDigest == nil || *got.IndexDigest != idxDigest {
				t.Errorf("%s: index digest %v, want %s", src, got.IndexDigest, idxDigest)
			}
		}
		p, _ := ParsePlatform("linux/s390x")
		_, err := Open(ctx, src, Options{Platform: p})
		if err == nil || !strings.Contains(err.Error(), "no image for platform linux/s390x") || !strings.Contains(err.Error(), "linux/arm64/v8") {
			t.Errorf("%s: missing platform: got %v", src, err)
		}
	}
}

// TestLayerCache: with a cache directory, reading an image's layers a
// second time downloads no blob.
func TestLayerCache(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	ref := reg.Push(t, "app:v1", testImage(t, "", "cached"))
	cacheDir := t.TempDir()
	before, firstGets := reg.BlobGets(), 0
	for i := 0; i < 2; i++ {
		img, err := Open(ctx, ref, Options{CacheDir: cacheDir})
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, img.Image)
		got := reg.BlobGets() - before
		// The two layers are downloaded once; the config blob is read
		// on each open (it is small and not a layer).
		if i == 0 && got < 2 {
			t.Fatalf("first read fetched %d blobs, want the 2 layers at least", got)
		}
		if i == 1 {
			if again := got - firstGets; again > 1 {
				t.Errorf("second read fetched %d more blobs, want only the config (layers from the cache)", again)
			}
		}
		firstGets = got
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	reg.Server.Close()
	_, err := Open(ctx, reg.Host+"/app:v1", Options{})
	if err == nil || !strings.Contains(err.Error(), "image "+reg.Host+"/app:v1") || !strings.Contains(err.Error(), "registry "+reg.Host) {
		t.Errorf("unreachable registry: %v", err)
	}
	dir := t.TempDir()
	for _, ref := range []string{"oci-layout:" + dir, "docker-archive:" + filepath.Join(dir, "missing.tar"), "UPPER/Case:x"} {
		_, err := Open(ctx, ref, Options{})
		if err == nil || !strings.Contains(err.Error(), "image "+ref) {
			t.Errorf("%s: %v", ref, err)
		}
	}
	junk := filepath.Join(dir, "junk.tar")
	if err := os.WriteFile(junk, []byte("not a tar"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, "docker-archive:"+junk, Options{}); err == nil || !strings.Contains(err.Error(), "docker archive") {
		t.Errorf("junk archive: %v", err)
	}
}

// TestTruncatedLayerNamed: a layer whose blob is cut short fails with an
// error that names the image and the layer.
func TestTruncatedLayerNamed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	img := testImage(t, "", "t")
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
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Open(context.Background(), "oci-layout:"+dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := got.Image.Layers()
	rc, err := layers[1].Uncompressed()
	if err == nil {
		_, err = io.Copy(io.Discard, rc)
	}
	if err == nil || !strings.Contains(err.Error(), "layer 2 of 2 ("+d.String()+")") || !strings.Contains(err.Error(), "image oci-layout:"+dir) {
		t.Errorf("truncated layer: %v", err)
	}
	if !strings.Contains(got.LastLayer(), d.String()) {
		t.Errorf("LastLayer = %q", got.LastLayer())
	}
}

func TestPullSecretKeychain(t *testing.T) {
	ctx := context.Background()
	reg := imagetest.NewRegistry(t)
	reg.Auth = "robot:s3cret"
	ref := reg.Push(t, "private:v1", testImage(t, "", "p"))

	if _, err := Open(ctx, ref, Options{Keychain: &PullSecretKeychain{}}); err == nil {
		t.Fatal("anonymous pull of a private image succeeded: the test registry does not check credentials")
	}
	var kc PullSecretKeychain
	auth := base64.StdEncoding.EncodeToString([]byte("robot:s3cret"))
	cfg := `{"auths":{"http://` + reg.Host + `/v2/":{"auth":"` + auth + `"}}}`
	if err := kc.AddPullSecret(map[string][]byte{".dockerconfigjson": []byte(cfg)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, ref, Options{Keychain: &kc}); err != nil {
		t.Fatalf("with the pull secret: %v", err)
	}
	bad := PullSecretKeychain{}
	err := bad.AddPullSecret(map[string][]byte{".dockerconfigjson": []byte(`{"auths":{"x":{"auth":"!!s3cret"}}}`)})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad auth: %v (must fail without echoing the credential)", err)
	}
}

func TestHostMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, host string
		want          bool
	}{
		{"index.docker.io", normalizeRegistry("docker.io"), true},
		{normalizeRegistry("https://index.docker.io/v1/"), "index.docker.io", true},
		{"*.example.com", "r.example.com", true},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", "example.com", false},
		{"r.example.com", "r.example.com:5000", false},
	} {
		if got := hostMatches(tc.pattern, tc.host); got != tc.want {
			t.Errorf("hostMatches(%q, %q) = %v", tc.pattern, tc.host, got)
		}
	}
}

func TestParseKind(t *testing.T) {
	if k, r := ParseKind("oci-layout:/a/b"); k != OCILayout || r != "/a/b" {
		t.Error(k, r)
	}
	if k, r := ParseKind("docker-archive:x.tar"); k != DockerArchive || r != "x.tar" {
		t.Error(k, r)
	}
	if k, r := ParseKind("nginx:1"); k != Registry || r != "nginx:1" {
		t.Error(k, r)
	}
	if _, err := ParsePlatform("linux"); err == nil {
		t.Error("linux alone accepted")
	}
}
