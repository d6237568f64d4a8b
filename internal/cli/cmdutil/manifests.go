package cmdutil

import (
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"

	"github.com/kguard/kguard/internal/version"
)

// The one definition of kguard's published image. The Helm chart cannot
// import Go: its values.yaml (image.repository) and Chart.yaml
// (appVersion, the default tag) repeat these, and a test holds them equal.
const (
	// ImageRepository is where kguard's images are published.
	ImageRepository = "ghcr.io/kguard/kguard"
	// FirstRelease is the tag development builds name, so that their
	// manifests point at an image that exists.
	FirstRelease = "0.1.0"
)

// DefaultImage is the image every `manifests` command runs by default:
// this release's, or the first release's for a development build.
func DefaultImage() string {
	v := strings.TrimPrefix(version.String(), "v")
	if v == "" || strings.ContainsAny(v, " ()+") || strings.Contains(v, "dev") {
		v = FirstRelease
	}
	return ImageRepository + ":" + v
}

// ValidateImage checks an --image value before it is written into YAML:
// a reference with a tag, a digest, or both (REPO:TAG, REPO@sha256:...,
// REPO:TAG@sha256:...), and nothing else. Production manifests should
// pin a digest (hack/image.sh prints it).
func ValidateImage(ref string) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return UsageErrorf("--image %q is not an image reference: %v", ref, err)
	}
	// The parser defaults a missing tag to "latest" (and a missing
	// registry to Docker Hub, which is fine): refuse the former, so the
	// manifests never run whatever "latest" is today.
	if _, isTag := r.(name.Tag); isTag && !strings.Contains(ref[strings.LastIndex(ref, "/")+1:], ":") {
		return UsageErrorf("--image %q has neither a tag nor a digest", ref)
	}
	return nil
}

// AddImageFlag adds the --image flag of a manifests command, defaulting
// to DefaultImage; the command checks it with ValidateImage.
func AddImageFlag(fs *pflag.FlagSet, p *string) {
	fs.StringVar(p, "image", DefaultImage(), "kguard image: REPO:TAG, or REPO@sha256:... to pin a digest (do so in production)")
}

// RenderManifests executes a manifests template (text/template) with data
// to w.
func RenderManifests(w io.Writer, src string, data any) error {
	t, err := template.New("manifests").Parse(src)
	if err != nil {
		return fmt.Errorf("manifests template: %w", err)
	}
	return t.Execute(w, data)
}
