package main

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"io"
	"io/fs"
	"log"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

var created = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

// fakeBinaries writes one distinct file per platform.
func fakeBinaries(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	bins := map[string]string{}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		f := filepath.Join(dir, strings.ReplaceAll(p, "/", "_"))
		if err := os.WriteFile(f, []byte("binary for "+p), 0o755); err != nil {
			t.Fatal(err)
		}
		bins[p] = f
	}
	return bins
}

func spec(t *testing.T) Spec {
	return Spec{Binaries: fakeBinaries(t), Version: "v0.1.0", Revision: "0123abcd", Source: "https://github.com/kguard/kguard", Created: created}
}

// files flattens img into path -> header and content.
func files(t *testing.T, img v1.Image) (map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	hdrs, data := map[string]*tar.Header{}, map[string][]byte{}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := "/" + strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		hdrs[name] = h
		if data[name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	return hdrs, data
}

// readLayout returns the one index a layout written by WriteLayout holds.
func readLayout(t *testing.T, dir string) v1.ImageIndex {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("layout holds %d entries, want 1", len(m.Manifests))
	}
	if ref := m.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; ref != "0.1.0" {
		t.Errorf("ref name %q", ref)
	}
	idx, err := top.ImageIndex(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestBuildLayout(t *testing.T) {
	s := spec(t)
	idx, err := Build(s)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "image")
	if err := WriteLayout(dir, idx, "0.1.0"); err != nil {
		t.Fatal(err)
	}
	got := readLayout(t, dir)
	want, _ := idx.Digest()
	if d, _ := got.Digest(); d != want {
		t.Fatalf("layout index %s, built %s", d, want)
	}
	m, err := got.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.index.v1+json" || m.Annotations["org.opencontainers.image.revision"] != "0123abcd" {
		t.Errorf("index media type %s, annotations %v", m.MediaType, m.Annotations)
	}
	if len(m.Manifests) != 2 {
		t.Fatalf("%d manifests, want 2", len(m.Manifests))
	}
	for _, desc := range m.Manifests {
		plat := desc.Platform.OS + "/" + desc.Platform.Architecture
		t.Run(plat, func(t *testing.T) {
			img, err := got.Image(desc.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.OS+"/"+cf.Architecture != plat {
				t.Errorf("config platform %s/%s under index platform %s", cf.OS, cf.Architecture, plat)
			}
			c := cf.Config
			if c.User != "65532:65532" || len(c.Entrypoint) != 1 || c.Entrypoint[0] != "/kguard" || len(c.Cmd) != 0 {
				t.Errorf("user %q entrypoint %q cmd %q", c.User, c.Entrypoint, c.Cmd)
			}
			for k, v := range map[string]string{
				"org.opencontainers.image.source": "https://github.com/kguard/kguard", "org.opencontainers.image.revision": "0123abcd",
				"org.opencontainers.image.version": "v0.1.0", "org.opencontainers.image.created": "2026-12-07T08:00:00Z",
			} {
				if c.Labels[k] != v {
					t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
				}
			}
			hdrs, data := files(t, img)
			if string(data["/kguard"]) != "binary for "+plat || hdrs["/kguard"].Mode&0o111 == 0 {
				t.Errorf("/kguard: %q mode %o", data["/kguard"], hdrs["/kguard"].Mode)
			}
			if !strings.Contains(string(data["/etc/passwd"]), "nonroot:x:65532:65532:") || !strings.Contains(string(data["/etc/group"]), "nonroot:x:65532:") {
				t.Errorf("passwd %q group %q", data["/etc/passwd"], data["/etc/group"])
			}
			if h := hdrs["/home/nonroot"]; h == nil || h.Uid != 65532 {
				t.Errorf("/home/nonroot %+v, want owned by 65532", h)
			}
			if h := hdrs["/tmp"]; h == nil || fs.FileMode(h.Mode)&fs.ModePerm != 0o777 || h.Mode&0o1000 == 0 {
				t.Errorf("/tmp %+v, want mode 1777", h)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(data["/etc/ssl/certs/ca-certificates.crt"]) || strings.Count(string(data["/etc/ssl/certs/ca-certificates.crt"]), "BEGIN CERTIFICATE") < 100 {
				t.Error("the CA bundle does not hold the NSS roots")
			}
			var names []string
			for n, h := range hdrs {
				names = append(names, n)
				if h.ModTime.Unix() != created.Unix() {
					t.Errorf("%s has time %s, want %s", n, h.ModTime, created)
				}
			}
			for _, n := range names {
				if strings.HasPrefix(n, "/bin") || strings.HasPrefix(n, "/usr") || strings.HasPrefix(n, "/var") {
					t.Errorf("unexpected %s: the image holds kguard and its few files only", n)
				}
			}
			if len(names) != 11 {
				t.Errorf("%d entries %v, want 11", len(names), names)
			}
		})
	}
}

// TestBuildReproducible: the same inputs give the same digest; a
// different time or binary gives another.
func TestBuildReproducible(t *testing.T) {
	s := spec(t)
	digest := func(s Spec) v1.Hash {
		idx, err := Build(s)
		if err != nil {
			t.Fatal(err)
		}
		d, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := digest(s), digest(s)
	if a != b {
		t.Fatalf("two builds: %s and %s", a, b)
	}
	later := s
	later.Created = created.Add(time.Second)
	if digest(later) == a {
		t.Error("another time, same digest")
	}
	if err := os.WriteFile(s.Binaries["linux/arm64"], []byte("changed"), 0o755); err != nil {
		t.Fatal(err)
	}
	if digest(s) == a {
		t.Error("another binary, same digest")
	}
}

func TestArchive(t *testing.T) {
	idx, err := Build(spec(t))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "kguard.tar")
	if err := WriteArchive(file, idx, "0.1.0", created); err != nil {
		t.Fatal(err)
	}
	// Unpack it and read it as a layout.
	dir := t.TempDir()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := idx.Digest()
	if got, _ := readLayout(t, dir).Digest(); got != want {
		t.Errorf("archive holds %s, want %s", got, want)
	}
}

// TestPush pushes to a registry served in process and reads it back.
func TestPush(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials of the machine
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	s := spec(t)
	args := []string{"--version", "v0.1.0+meta", "--revision", "0123abcd", "--created", created.Format(time.RFC3339), "--push", u.Host + "/kguard/kguard"}
	for p, b := range s.Binaries {
		args = append(args, "--binary", p+"="+b)
	}
	if err := run(context.Background(), args); err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(u.Host + "/kguard/kguard:0.1.0_meta")
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("read back %s: %v", ref, err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 2 {
		t.Fatalf("pushed index: %v, %v", m, err)
	}
}

func TestRunErrors(t *testing.T) {
	bins := fakeBinaries(t)
	full := []string{"--version", "v1", "--revision", "r", "--created", created.Format(time.RFC3339), "--binary", "linux/amd64=" + bins["linux/amd64"]}
	nonEmpty := t.TempDir()
	if err := os.WriteFile(filepath.Join(nonEmpty, "x"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no output", full, "at least one of"},
		{"no version", []string{"--oci-layout", t.TempDir() + "/o"}, "required"},
		{"bad time", append(append([]string{}, full...), "--created", "yesterday", "--oci-layout", t.TempDir()+"/o"), "--created"},
		{"not linux", append(append([]string{}, full...), "--binary", "windows/amd64=x", "--oci-layout", t.TempDir()+"/o"), "linux"},
		{"missing binary", append(append([]string{}, full...), "--binary", "linux/arm64=/nonexistent", "--oci-layout", t.TempDir()+"/o"), "/nonexistent"},
		{"layout exists", append(append([]string{}, full...), "--oci-layout", nonEmpty), "not empty"},
		{"platform twice", append(append([]string{}, full...), "--binary", "linux/amd64=x"), "twice"},
		{"bad repository", append(append([]string{}, full...), "--push", "UPPER/case"), "--push"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := run(context.Background(), c.args)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}
