package inventory

import (
	"context"
	"os"
	"path/filepath"
)

// Renderer turns a directory that is not plain manifests (a Helm chart, a
// Kustomize overlay) into objects. Renderers live in sub-packages so that
// the core loader does not depend on Helm or Kustomize.
type Renderer interface {
	// Name is shown in errors ("helm", "kustomize").
	Name() string
	// Detect reports whether dir is something this renderer builds.
	Detect(dir string) bool
	// Render builds dir. Objects carry their origin in Source; problems are
	// InputErrors naming the file that caused them.
	Render(ctx context.Context, dir string) ([]*Object, []*InputError)
}

// Includer is a Renderer whose directories build on other directories (a
// Kustomize overlay on its bases). When a walk finds both, the included
// directory is not rendered on its own: its objects are already in the
// including one, and scanning them twice would count every finding twice.
type Includer interface {
	Includes(dir string) []string
}

// hasFile reports whether dir directly contains one of names.
func hasFile(dir string, names ...string) bool {
	for _, n := range names {
		if info, err := os.Stat(filepath.Join(dir, n)); err == nil && info.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// IsChartDir reports whether dir is a Helm chart.
func IsChartDir(dir string) bool { return hasFile(dir, "Chart.yaml") }

// IsKustomizeDir reports whether dir holds a kustomization.
func IsKustomizeDir(dir string) bool {
	return hasFile(dir, "kustomization.yaml", "kustomization.yml", "Kustomization")
}
