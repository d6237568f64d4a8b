package main

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The image's fixed shape. The numeric user is distroless's "nonroot", so
// manifests can say runAsUser: 65532 and runAsNonRoot holds without the
// kubelet having to resolve a name.
const (
	uid        = 65532
	binaryPath = "/kguard"
	homeDir    = "/home/nonroot"
	caPath     = "/etc/ssl/certs/ca-certificates.crt"
)

// Spec describes one image index.
type Spec struct {
	// Binaries maps a platform ("linux/amd64") to a static kguard binary.
	Binaries map[string]string
	// Version, Revision and Source become OCI labels (and annotations on
	// the index); Created is the time of every file and config, so the
	// same inputs give the same digest.
	Version, Revision, Source string
	Created                   time.Time
}

// Labels are the OCI annotation keys the image carries as labels.
func (s Spec) Labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "kguard",
		"org.opencontainers.image.description": "Finds, explains and enforces Kubernetes security problems",
		"org.opencontainers.image.source":      s.Source,
		"org.opencontainers.image.revision":    s.Revision,
		"org.opencontainers.image.version":     s.Version,
		"org.opencontainers.image.created":     s.Created.UTC().Format(time.RFC3339),
	}
}

// Build assembles the multi-platform index: a base layer shared by every
// platform (users, CA certificates, home and /tmp) and a layer with the
// platform's binary, on no base image at all.
func Build(s Spec) (v1.ImageIndex, error) {
	if len(s.Binaries) == 0 {
		return nil, fmt.Errorf("no binaries given")
	}
	base, err := baseLayer(s.Created)
	if err != nil {
		return nil, err
	}
	platforms := make([]string, 0, len(s.Binaries))
	for p := range s.Binaries {
		platforms = append(platforms, p)
	}
	sort.Strings(platforms)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			return nil, fmt.Errorf("platform %q: %w", p, err)
		}
		if plat.OS != "linux" || plat.Architecture == "" {
			return nil, fmt.Errorf("platform %q: images are for linux/<arch>", p)
		}
		img, err := platformImage(s, *plat, base, s.Binaries[p])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
	}
	idx = mutate.AppendManifests(idx, adds...)
	return mutate.Annotations(idx, s.Labels()).(v1.ImageIndex), nil
}

func platformImage(s Spec, plat v1.Platform, base v1.Layer, binary string) (v1.Image, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, err
	}
	app, err := layerOf(s.Created, []file{{name: strings.TrimPrefix(binaryPath, "/"), mode: 0o755, data: data}})
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	created := v1.Time{Time: s.Created}
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: plat.Architecture,
		OS:           plat.OS,
		Variant:      plat.Variant,
		Created:      created,
		Config: v1.Config{
			User:       fmt.Sprintf("%d:%d", uid, uid),
			Entrypoint: []string{binaryPath},
			WorkingDir: homeDir,
			Env:        []string{"HOME=" + homeDir, "SSL_CERT_FILE=" + caPath},
			Labels:     s.Labels(),
		},
	})
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: created, CreatedBy: "imagebuild: users, CA certificates, /home/nonroot, /tmp", Comment: "no shell, no package manager"}},
		mutate.Addendum{Layer: app, History: v1.History{Created: created, CreatedBy: "imagebuild: " + binaryPath + " " + s.Version}},
	)
	if err != nil {
		return nil, err
	}
	return img, nil
}

// baseLayer holds what a static binary needs from a filesystem: user and
// group names for the numeric IDs, the CA bundle for outbound TLS (alert
// webhooks), a home directory and a world-writable /tmp.
func baseLayer(created time.Time) (v1.Layer, error) {
	ca, err := caBundle()
	if err != nil {
		return nil, err
	}
	return layerOf(created, []file{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, data: fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", uid)},
		{name: "etc/passwd", mode: 0o644, data: fmt.Appendf(nil,
			"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n", uid, uid, homeDir)},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: strings.TrimPrefix(caPath, "/"), mode: 0o644, data: ca},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/nonroot/", mode: 0o700, dir: true, owner: uid},
		{name: "root/", mode: 0o700, dir: true},
		{name: "tmp/", mode: 0o1777, dir: true},
	})
}

// caBundle is the NSS trust store as a PEM file, from the Go module
// golang.org/x/crypto/x509roots/fallback: pinned by go.sum like any
// other input, so the image needs no package manager to build and the
// same commit gives the same bundle. Roots that NSS trusts only with a
// constraint (a distrust-after date) are left out: a PEM file cannot
// carry the constraint, and trusting them without it would be wider
// than NSS.
func caBundle() ([]byte, error) {
	var b bytes.Buffer
	n := 0
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		if _, err := x509.ParseCertificate(r.Certificate); err != nil {
			return nil, fmt.Errorf("CA bundle: %w", err)
		}
		if err := pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate}); err != nil {
			return nil, err
		}
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("CA bundle: no roots")
	}
	return b.Bytes(), nil
}

type file struct {
	name  string
	mode  int64
	dir   bool
	owner int
	data  []byte
}

// layerOf writes files into a gzip-compressed OCI layer with fixed
// times and owners, so the digest depends on the content alone.
func layerOf(created time.Time, files []file) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: created, Uid: f.owner, Gid: f.owner, Format: tar.FormatPAX}
		if f.dir {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// WriteLayout writes idx as the one entry of a new OCI image layout in
// dir, named by ref (the org.opencontainers.image.ref.name annotation).
func WriteLayout(dir string, idx v1.ImageIndex, ref string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s: exists and is not empty", dir)
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": ref})); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	return nil
}

// WriteArchive writes idx as an OCI layout inside a tar file (what
// `skopeo copy oci-archive:F` and `docker load` accept).
func WriteArchive(path string, idx v1.ImageIndex, ref string, created time.Time) error {
	dir, err := os.MkdirTemp("", "imagebuild-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := WriteLayout(dir, idx, ref); err != nil {
		return err
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(out)
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: created, Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if d.IsDir() {
			h.Name += "/"
			h.Mode, h.Typeflag = 0o755, tar.TypeDir
			return tw.WriteHeader(h)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h.Size = int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if cerr := tw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
