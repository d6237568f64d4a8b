// Package imagetest builds real container images for tests: tar layers
// with files and whiteouts assembled with go-containerregistry's mutate,
// multi-platform indexes, and an in-process registry (go-containerregistry's
// pkg/registry) on loopback that speaks the real distribution protocol.
package imagetest

import (
	"archive/tar"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// File is one entry of a layer. A Whiteout entry deletes Path from the
// layers below (an OCI ".wh." file); Mode 0 means 0644.
type File struct {
	Path     string
	Content  []byte
	Mode     int64
	Whiteout bool
}

// Layer builds a gzip layer holding files, with parent directories.
func Layer(t testing.TB, files ...File) v1.Layer {
	t.Helper()
	data := TarBytes(t, files...)
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TarBytes is the uncompressed tar of files.
func TarBytes(t testing.TB, files ...File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	mtime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range files {
		p := strings.TrimPrefix(f.Path, "/")
		parts := strings.Split(p, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/") + "/"
			if !dirs[d] {
				dirs[d] = true
				if err := tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime}); err != nil {
					t.Fatal(err)
				}
			}
		}
		if f.Whiteout {
			parts[len(parts)-1] = ".wh." + parts[len(parts)-1]
			p = strings.Join(parts, "/")
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := tw.WriteHeader(&tar.Header{Name: p, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(f.Content)), ModTime: mtime}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.Content); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Image stacks layers (the first is the bottom) on an empty image for
// platform ("linux/amd64" when empty), with a history entry per layer.
func Image(t testing.TB, platform string, layers ...v1.Layer) v1.Image {
	t.Helper()
	if platform == "" {
		platform = "linux/amd64"
	}
	p, err := v1.ParsePlatform(platform)
	if err != nil {
		t.Fatal(err)
	}
	img := empty.Image
	for i, l := range layers {
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "layer " + string(rune('0'+i))}})
		if err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return mutate.MediaType(img, types.OCIManifestSchema1)
}

// Index is a multi-platform index of images, each under its config's
// platform.
func Index(t testing.TB, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}},
		})
	}
	return idx
}

// Registry is an in-process registry on loopback. It counts requests by
// kind so that tests can see what was downloaded.
type Registry struct {
	// Host is "127.0.0.1:PORT".
	Host   string
	Server *httptest.Server

	mu       sync.Mutex
	requests []string
	// Auth, when set, is the user:password every request must present.
	Auth string
}

// NewRegistry starts a registry with the OCI referrers API, stopped when
// the test ends.
func NewRegistry(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{}
	h := registry.New(registry.WithReferrersSupport(true), registry.Logger(nullLogger()))
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.requests = append(r.requests, req.Method+" "+req.URL.Path)
		auth := r.Auth
		r.mu.Unlock()
		if auth != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u+":"+p != auth {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Server.Close)
	r.Host = strings.TrimPrefix(r.Server.URL, "http://")
	return r
}

// Requests returns the requests seen so far ("GET /v2/app/blobs/sha256:...").
func (r *Registry) Requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.requests...)
}

// BlobGets counts the blob downloads among the requests.
func (r *Registry) BlobGets() int {
	n := 0
	for _, q := range r.Requests() {
		if strings.HasPrefix(q, "GET ") && strings.Contains(q, "/blobs/") {
			n++
		}
	}
	return n
}

// Push writes img as REPO:TAG and returns the reference.
func (r *Registry) Push(t testing.TB, repoTag string, img v1.Image) string {
	t.Helper()
	ref := r.Host + "/" + repoTag
	tag, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, r.remoteOptions()...); err != nil {
		t.Fatal(err)
	}
	return ref
}

// PushIndex writes idx as REPO:TAG and returns the reference.
func (r *Registry) PushIndex(t testing.TB, repoTag string, idx v1.ImageIndex) string {
	t.Helper()
	ref := r.Host + "/" + repoTag
	tag, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(tag, idx, r.remoteOptions()...); err != nil {
		t.Fatal(err)
	}
	return ref
}

func (r *Registry) remoteOptions() []remote.Option {
	if r.Auth == "" {
		return nil
	}
	u, p, _ := strings.Cut(r.Auth, ":")
	return []remote.Option{remote.WithAuth(&basic{u, p})}
}
