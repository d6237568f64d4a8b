package access

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/cache"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Reference prefixes for images that are not in a registry.
const (
	OCILayoutPrefix     = "oci-layout:"
	DockerArchivePrefix = "docker-archive:"
)

// Kind is where an image is read from.
type Kind int

// Kinds of image sources.
const (
	Registry Kind = iota
	OCILayout
	DockerArchive
)

func (k Kind) String() string {
	switch k {
	case OCILayout:
		return "oci-layout"
	case DockerArchive:
		return "docker-archive"
	}
	return "registry"
}

// DefaultPlatform is the platform picked from multi-platform indexes when
// none is asked for.
var DefaultPlatform = v1.Platform{OS: "linux", Architecture: "amd64"}

// Options configure how images are reached.
type Options struct {
	// Platform picks the image of a multi-platform index (default
	// linux/amd64).
	Platform *v1.Platform
	// InsecureRegistries are registry hosts ("host:port") spoken to over
	// plain HTTP (test registries). Loopback hosts always are.
	InsecureRegistries []string
	// Keychain finds registry credentials; nil means the docker config
	// ($DOCKER_CONFIG or ~/.docker/config.json).
	Keychain authn.Keychain
	// Transport, when set, carries registry requests (tests count them).
	Transport http.RoundTripper
	// Remote are more registry options (a puller to reuse, say).
	Remote []remote.Option
	// CacheDir, when set, keeps registry layers on disk by digest so that
	// an image is downloaded once.
	CacheDir string
}

// Image is an opened image, resolved to one platform.
type Image struct {
	// Ref is the reference as given.
	Ref  string
	Kind Kind
	// Name is the registry reference in canonical form, or the path.
	Name string
	// Digest is the digest of the platform image's manifest.
	Digest v1.Hash
	// ConfigDigest is the image ID: the digest of its config, which lists
	// the digests of the uncompressed layers. It is the same whether the
	// image is read from a registry, a layout or an archive (a docker
	// archive rebuilds the manifest, so its Digest differs).
	ConfigDigest v1.Hash
	// IndexDigest is the digest of the index the image was picked from,
	// when there was one.
	IndexDigest *v1.Hash
	// Platform is the platform the index listed for the image, when the
	// image came from an index.
	Platform *v1.Platform
	// Image gives access to the config and layers. Its layers name
	// themselves (index and digest) in read errors.
	Image v1.Image

	layers *namedLayers
}

// LastLayer names the layer whose content was read last ("image REF layer
// 2 of 3 (sha256:...)"), or "" when none was: tools that read layers
// through other libraries use it to say where a read failed.
func (i *Image) LastLayer() string {
	if i.layers == nil {
		return ""
	}
	i.layers.mu.Lock()
	defer i.layers.mu.Unlock()
	return i.layers.last
}

// ParseKind splits a reference into its kind and the rest (the registry
// reference or the path).
func ParseKind(ref string) (Kind, string) {
	switch {
	case strings.HasPrefix(ref, OCILayoutPrefix):
		return OCILayout, strings.TrimPrefix(ref, OCILayoutPrefix)
	case strings.HasPrefix(ref, DockerArchivePrefix):
		return DockerArchive, strings.TrimPrefix(ref, DockerArchivePrefix)
	}
	return Registry, ref
}

// Open resolves ref to one image. Nothing is downloaded beyond manifests
// and the config until layers are read.
func Open(ctx context.Context, ref string, o Options) (*Image, error) {
	kind, rest := ParseKind(ref)
	var (
		img *Image
		err error
	)
	switch kind {
	case OCILayout:
		img, err = openLayout(rest, o.platform())
	case DockerArchive:
		img, err = openArchive(rest)
	default:
		img, err = openRemote(ctx, rest, o)
	}
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	img.Ref, img.Kind = ref, kind
	if img.ConfigDigest, err = img.Image.ConfigName(); err != nil {
		return nil, fmt.Errorf("image %s: config: %w", ref, err)
	}
	nl := &namedLayers{Image: img.Image, ref: ref}
	img.Image, img.layers = nl, nl
	return img, nil
}

func (o Options) platform() v1.Platform {
	if o.Platform != nil {
		return *o.Platform
	}
	return DefaultPlatform
}

// ParsePlatform reads "os/arch[/variant]".
func ParsePlatform(s string) (*v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return nil, fmt.Errorf("platform %q: want os/arch[/variant], e.g. linux/arm64", s)
	}
	return p, nil
}

// RemoteOptions are the go-containerregistry options for registry access
// under o (also used to read and write signatures beside images).
func (o Options) RemoteOptions(ctx context.Context) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	return append(opts, o.Remote...)
}

// ParseReference parses a registry reference, marking the registries
// listed as insecure for plain HTTP.
func (o Options) ParseReference(ref string) (name.Reference, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	for _, h := range o.InsecureRegistries {
		if strings.EqualFold(strings.TrimSpace(h), r.Context().RegistryStr()) {
			return name.ParseReference(ref, name.Insecure)
		}
	}
	return r, nil
}

func openRemote(ctx context.Context, ref string, o Options) (*Image, error) {
	r, err := o.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("bad reference: %w", err)
	}
	ropts := o.RemoteOptions(ctx)
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", r.Context().RegistryStr(), err)
	}
	out := &Image{Name: r.Name()}
	var img v1.Image
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		child, err := pickPlatform(idx, o.platform())
		if err != nil {
			return nil, err
		}
		d := desc.Digest
		out.IndexDigest, out.Platform = &d, child.Platform
		img, err = remote.Image(r.Context().Digest(child.Digest.String()), ropts...)
		if err != nil {
			return nil, fmt.Errorf("platform image %s: %w", child.Digest, err)
		}
	} else {
		img, err = desc.Image()
		if err != nil {
			return nil, err
		}
	}
	if out.Digest, err = img.Digest(); err != nil {
		return nil, err
	}
	if o.CacheDir != "" {
		dir := filepath.Join(o.CacheDir, "layers")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("layer cache: %w", err)
		}
		img = cache.Image(img, cache.NewFilesystemCache(dir))
	}
	out.Image = img
	return out, nil
}

// openLayout opens an OCI layout directory. "PATH@sha256:..." picks one
// manifest of the layout's index; otherwise the index must hold exactly
// one image or one multi-platform index.
func openLayout(ref string, platform v1.Platform) (*Image, error) {
	path, want := ref, ""
	if i := strings.LastIndex(ref, "@sha256:"); i >= 0 {
		path, want = ref[:i], ref[i+1:]
	}
	lp, err := layout.FromPath(path)
	if err != nil {
		return nil, fmt.Errorf("not an OCI layout: %w", err)
	}
	idx, err := lp.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("OCI layout index: %w", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("OCI layout index: %w", err)
	}
	var chosen *v1.Descriptor
	for i := range im.Manifests {
		d := &im.Manifests[i]
		if want != "" && d.Digest.String() == want {
			chosen = d
			break
		}
	}
	switch {
	case want != "" && chosen == nil:
		return nil, fmt.Errorf("OCI layout has no manifest %s", want)
	case want == "" && len(im.Manifests) == 1:
		chosen = &im.Manifests[0]
	case want == "" && len(im.Manifests) == 0:
		return nil, errors.New("OCI layout holds no image")
	case want == "":
		// Several entries: the platform picks, as in an index.
		d, err := pickPlatform(idx, platform)
		if err != nil {
			return nil, fmt.Errorf("OCI layout holds %d manifests (name one with PATH@sha256:...): %w", len(im.Manifests), err)
		}
		chosen = d
	}
	out := &Image{Name: path}
	if chosen.MediaType.IsIndex() {
		child, err := idx.ImageIndex(chosen.Digest)
		if err != nil {
			return nil, err
		}
		d, err := pickPlatform(child, platform)
		if err != nil {
			return nil, err
		}
		ih := chosen.Digest
		out.IndexDigest, out.Platform = &ih, d.Platform
		if out.Image, err = child.Image(d.Digest); err != nil {
			return nil, err
		}
		out.Digest = d.Digest
		return out, nil
	}
	if out.Image, err = idx.Image(chosen.Digest); err != nil {
		return nil, err
	}
	out.Digest = chosen.Digest
	return out, nil
}

func openArchive(path string) (*Image, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return nil, fmt.Errorf("docker archive: %w", err)
	}
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("docker archive: %w", err)
	}
	return &Image{Name: path, Image: img, Digest: d}, nil
}

// pickPlatform returns the index entry for platform. An entry without a
// platform matches only when it is the index's only image.
func pickPlatform(idx v1.ImageIndex, platform v1.Platform) (*v1.Descriptor, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var seen []string
	for i := range im.Manifests {
		d := &im.Manifests[i]
		if d.Platform == nil {
			continue
		}
		seen = append(seen, d.Platform.String())
		if d.Platform.Satisfies(platform) {
			return d, nil
		}
	}
	if len(im.Manifests) == 1 && im.Manifests[0].Platform == nil {
		return &im.Manifests[0], nil
	}
	return nil, fmt.Errorf("no image for platform %s in the index (it has %s)", platform.String(), strings.Join(seen, ", "))
}

// namedLayers wraps an image so that read errors name the image and the
// layer (position and digest): "layer 2 of 3 (sha256:...)".
type namedLayers struct {
	v1.Image
	ref string

	mu   sync.Mutex
	last string
}

func (n *namedLayers) opened(where string) {
	n.mu.Lock()
	n.last = where
	n.mu.Unlock()
}

func (n *namedLayers) Layers() ([]v1.Layer, error) {
	ls, err := n.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = &namedLayer{Layer: l, where: layerName(n.ref, i, len(ls), l), parent: n}
	}
	return out, nil
}

func layerName(ref string, i, n int, l v1.Layer) string {
	d, err := l.Digest()
	if err != nil {
		return fmt.Sprintf("image %s layer %d of %d", ref, i+1, n)
	}
	return fmt.Sprintf("image %s layer %d of %d (%s)", ref, i+1, n, d)
}

type namedLayer struct {
	v1.Layer
	where  string
	parent *namedLayers
}

func (l *namedLayer) Uncompressed() (io.ReadCloser, error) {
	l.parent.opened(l.where)
	rc, err := l.Layer.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.where, err)
	}
	return &namedReader{rc: rc, where: l.where}, nil
}

func (l *namedLayer) Compressed() (io.ReadCloser, error) {
	l.parent.opened(l.where)
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.where, err)
	}
	return &namedReader{rc: rc, where: l.where}, nil
}

type namedReader struct {
	rc    io.ReadCloser
	where string
}

func (r *namedReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %w", r.where, err)
	}
	return n, err
}

func (r *namedReader) Close() error { return r.rc.Close() }
