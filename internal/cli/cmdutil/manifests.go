package cmdutil

import (
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/kguard/kguard/internal/version"
)

// ImageRepository is where kguard's images are published.
const ImageRepository = "ghcr.io/kguard/kguard"

// firstRelease is the tag development builds name, so that their
// manifests point at an image that exists.
const firstRelease = "0.1.0"

// DefaultImage is the image every `manifests` command runs by default:
// this release's, or the first release's for a development build.
func DefaultImage() string {
	v := strings.TrimPrefix(version.String(), "v")
	if v == "" || strings.ContainsAny(v, " ()+") || strings.Contains(v, "dev") {
		v = firstRelease
	}
	return ImageRepository + ":" + v
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
