// Package kustomize builds Kustomize overlays with the Kustomize Go API (no
// kustomize binary), on the local filesystem only, and records for every
// object the file it came from (Kustomize's origin annotation).
package kustomize

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/inventory"
)

// originAnnotation is where Kustomize records an object's source file when
// buildMetadata includes originAnnotations.
const originAnnotation = "config.kubernetes.io/origin"

// Renderer builds kustomization directories.
type Renderer struct{}

// Name implements inventory.Renderer.
func (Renderer) Name() string { return "kustomize" }

// Detect implements inventory.Renderer.
func (Renderer) Detect(dir string) bool { return inventory.IsKustomizeDir(dir) }

// Render implements inventory.Renderer.
func (Renderer) Render(ctx context.Context, dir string) ([]*inventory.Object, []*inventory.InputError) {
	out, resolve, err := build(dir)
	if err != nil {
		var ie *inventory.InputError
		if errors.As(err, &ie) {
			return nil, []*inventory.InputError{ie}
		}
		return nil, []*inventory.InputError{{File: dir, Err: err}}
	}
	objs, errs := inventory.DecodeFile(dir, out)
	for _, o := range objs {
		o.Source = inventory.Source{File: dir, Origin: "kustomize " + dir}
		if origin := o.Annotation(originAnnotation); origin != "" {

			var org struct {
				Path string `json:"path"`
			}
			if yaml.Unmarshal([]byte(origin), &org) == nil && org.Path != "" {
				o.Source.File = resolve(org.Path)
			}
			delete(o.Meta.Annotations, originAnnotation)
		}
	}
	return objs, errs
}

// Includes implements inventory.Includer: the local kustomization
// directories dir builds on (its bases, components and their own bases),
// so that a walk that finds both an overlay and its base scans the base
// once, inside the overlay, not again on its own.
func (Renderer) Includes(dir string) []string {
	seen := map[string]bool{}
	_ = checkLocal(filepath.Clean(dir), seen)
	delete(seen, filepath.Clean(dir))
	out := make([]string, 0, len(seen))
	for d := range seen {
		out = append(out, d)
	}
	return out
}

// Build runs kustomize build on dir and returns the YAML stream, with
// origin annotations on every object. Remote bases are refused up front.
func Build(dir string) ([]byte, error) {
	out, _, err := build(dir)
	return out, err
}

// build is Build that also returns how to turn an origin annotation's path
// into a path relative to the caller's working directory.
func build(dir string) ([]byte, func(string) string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, err
	}
	if err := checkLocal(filepath.Clean(dir), map[string]bool{}); err != nil {
		return nil, nil, err
	}
	// Build through a wrapper kustomization that only adds origin
	// annotations, so the user's files are never modified.
	wrap, err := os.MkdirTemp("", "kguard-kustomize-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(wrap)
	rel, err := filepath.Rel(wrap, abs)
	if err != nil {
		return nil, nil, err
	}
	// Origin paths are relative to the wrapper; make them relative to dir
	// as the user named it.
	resolve := func(p string) string {
		r, err := filepath.Rel(abs, filepath.Join(wrap, p))
		if err != nil {
			return filepath.Join(wrap, p)
		}
		return filepath.Join(dir, r)
	}
	k := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [%q]\nbuildMetadata: [%s]\n", rel, types.OriginAnnotations)
	if err := os.WriteFile(filepath.Join(wrap, "kustomization.yaml"), []byte(k), 0o600); err != nil {
		return nil, nil, err
	}
	opts := krusty.MakeDefaultOptions()
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), wrap)
	if err != nil {
		return nil, nil, fmt.Errorf("kustomize build: %s", strings.ReplaceAll(err.Error(), wrap+"/", ""))
	}
	out, err := m.AsYaml()
	return out, resolve, err
}

// kustomizationFile is the part of a kustomization that points at other
// kustomizations or files.
type kustomizationFile struct {
	Resources  []string `json:"resources"`
	Bases      []string `json:"bases"`
	Components []string `json:"components"`
}

// checkLocal walks the kustomization tree under dir and fails on the first
// remote reference: kguard builds offline and says so clearly rather than
// letting a git fetch time out.
func checkLocal(dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	var file string
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			file = filepath.Join(dir, n)
			break
		}
	}
	if file == "" {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return &inventory.InputError{File: file, Err: err}
	}
	var k kustomizationFile
	if err := yaml.Unmarshal(data, &k); err != nil {
		return &inventory.InputError{File: file, Err: err}
	}
	for _, list := range [][]string{k.Resources, k.Bases, k.Components} {
		for _, r := range list {
			if isRemote(r) {
				return &inventory.InputError{File: file, Err: fmt.Errorf(
					"remote resource %q is not supported: kguard builds Kustomize offline; vendor the base into the repository and reference it by a local path", r)}
			}
			sub := filepath.Clean(r)
			if !filepath.IsAbs(sub) {
				sub = filepath.Join(dir, r)
			}
			if info, err := os.Stat(sub); err == nil && info.IsDir() {
				if err := checkLocal(sub, seen); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// isRemote recognises the remote forms Kustomize accepts: URLs, git
// SSH addresses, and host/org/repo shorthands with a ref.
func isRemote(r string) bool {
	switch {
	case strings.Contains(r, "://"), strings.HasPrefix(r, "git@"), strings.Contains(r, "?ref="), strings.Contains(r, "?version="):
		return true
	}
	for _, host := range []string{"github.com/", "gitlab.com/", "bitbucket.org/"} {
		if strings.HasPrefix(r, host) {
			return true
		}
	}
	return false
}
