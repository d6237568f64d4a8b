// Package helm renders Helm charts with Helm's Go SDK (no helm binary), the
// way `helm template` does, so that kguard scans what would be installed.
// Every object remembers its template (the "# Source:" path) and its line
// in the rendered document.
package helm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartv2util "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/kguard/kguard/internal/inventory"
)

// Options are what `helm template` takes.
type Options struct {
	// ValuesFiles are merged in order, later files winning.
	ValuesFiles []string
	// Set are key=value overrides, applied after the files (like --set).
	Set []string
	// Release and Namespace name the release; defaults "release-name" and
	// "default", as helm template uses.
	Release   string
	Namespace string
	// KubeVersion sets .Capabilities.KubeVersion ("1.31"); empty means
	// Helm's default.
	KubeVersion string
}

// Renderer renders chart directories.
type Renderer struct{ Options Options }

// Name implements inventory.Renderer.
func (r *Renderer) Name() string { return "helm" }

// Detect implements inventory.Renderer: a directory with Chart.yaml.
func (r *Renderer) Detect(dir string) bool { return inventory.IsChartDir(dir) }

// Render implements inventory.Renderer.
func (r *Renderer) Render(ctx context.Context, dir string) ([]*inventory.Object, []*inventory.InputError) {
	docs, err := Template(dir, r.Options)
	if err != nil {
		var ie *inventory.InputError
		if errors.As(err, &ie) {
			return nil, []*inventory.InputError{ie}
		}
		return nil, []*inventory.InputError{{File: dir, Err: err}}
	}
	var objs []*inventory.Object
	var errs []*inventory.InputError
	for _, d := range docs {
		got, es := inventory.DecodeFile(d.Source, []byte(d.Content))
		for _, o := range got {
			o.Source.Origin = "helm chart " + dir
			o.RenderedFrom = d.From
		}
		objs = append(objs, got...)
		errs = append(errs, es...)
	}
	return objs, errs
}

// Rendered is one template's output.
type Rendered struct {
	// Source is the template path as helm prints it after "# Source:",
	// such as "mychart/templates/deployment.yaml".
	Source  string
	Content string
	// From is what the chart itself writes that the template can draw
	// on: its text, the helpers and values.yaml of its chart and the
	// charts above it (nil for CRDs, which are not templates). Values
	// given when rendering (--values, --set) are not in it.
	From []string
}

// Template renders the chart in dir and returns its manifests (CRDs from
// crds/ included) sorted by path. NOTES.txt and partials are left out.
func Template(dir string, opts Options) ([]Rendered, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart: %w", err)
	}
	if err := checkDependencies(ch, dir); err != nil {
		return nil, err
	}
	vals, err := values(opts)
	if err != nil {
		return nil, err
	}
	if err := chartv2util.ProcessDependencies(ch, vals); err != nil {
		return nil, fmt.Errorf("chart dependencies: %w", err)
	}
	caps := chartcommon.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := chartcommon.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version: %w", err)
		}
		caps.KubeVersion = *kv
	}
	rel := chartcommon.ReleaseOptions{
		Name:      firstNonEmpty(opts.Release, "release-name"),
		Namespace: firstNonEmpty(opts.Namespace, "default"),
		Revision:  1,
		IsInstall: true,
	}
	top, err := chartutil.ToRenderValues(ch, vals, rel, caps)
	if err != nil {
		return nil, fmt.Errorf("values: %w", err)
	}
	out, err := engine.Render(ch, top)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	var docs []Rendered
	// CRDs in crds/ are installed by helm install (not templated): they are
	// part of what the chart puts in a cluster, so they are scanned too.
	for _, crd := range ch.CRDObjects() {
		docs = append(docs, Rendered{Source: crd.Filename, Content: string(crd.File.Data)})
	}
	from := templateTexts(ch)
	for name, content := range out {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") || strings.EqualFold(base, "NOTES.txt") || strings.TrimSpace(content) == "" {
			continue
		}
		docs = append(docs, Rendered{Source: name, Content: content, From: from[name]})
	}
	slices.SortFunc(docs, func(a, b Rendered) int { return strings.Compare(a.Source, b.Source) })
	return docs, nil
}

// templateTexts maps each template's name, as engine.Render names its
// output, to what the chart tree writes that the template can draw on:
// the template's text, the helpers (templates/_*.tpl) of its chart and of
// every chart above it, and the values.yaml of its chart and of every
// chart above it (a parent's values.yaml sets its subcharts' values).
func templateTexts(ch *chart.Chart) map[string][]string {
	out := map[string][]string{}
	var walk func(c *chart.Chart, inherited []string)
	walk = func(c *chart.Chart, inherited []string) {
		shared := slices.Clone(inherited)
		for _, f := range c.Raw {
			if f.Name == chartv2util.ValuesfileName {
				shared = append(shared, string(f.Data))
			}
		}
		for _, t := range c.Templates {
			if strings.HasPrefix(path.Base(t.Name), "_") {
				shared = append(shared, string(t.Data))
			}
		}
		for _, t := range c.Templates {
			out[path.Join(c.ChartFullPath(), t.Name)] = append([]string{string(t.Data)}, shared...)
		}
		for _, d := range c.Dependencies() {
			walk(d, shared)
		}
	}
	walk(ch, nil)
	return out
}

// checkDependencies fails when a dependency in Chart.yaml is not vendored
// under charts/: kguard never fetches from a repository.
func checkDependencies(ch *chart.Chart, dir string) error {
	have := map[string]bool{}
	for _, d := range ch.Dependencies() {
		have[d.Name()] = true
	}
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		if !have[d.Name] {
			where := d.Repository
			if where == "" {
				where = "no repository given"
			}
			missing = append(missing, fmt.Sprintf("%s %s (%s)", d.Name, d.Version, where))
		}
	}
	if len(missing) > 0 {
		return &inventory.InputError{File: filepath.Join(dir, "Chart.yaml"), Err: fmt.Errorf(
			"chart dependencies missing from charts/: %s; run 'helm dependency build' first (kguard does not download charts)",
			strings.Join(missing, ", "))}
	}
	return nil
}

// values merges values files and --set overrides like helm does.
func values(opts Options) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range opts.ValuesFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, &inventory.InputError{File: f, Err: fmt.Errorf("values file: %w", unwrapPath(err))}
		}
		cur := map[string]any{}
		if err := yaml.Unmarshal(data, &cur); err != nil {
			return nil, &inventory.InputError{File: f, Err: fmt.Errorf("values file: %w", err)}
		}
		base = loader.MergeMaps(base, cur)
	}
	for _, s := range opts.Set {
		if err := strvals.ParseInto(s, base); err != nil {
			return nil, fmt.Errorf("--set %q: %w", s, err)
		}
	}
	return base, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
