// Package input is kguard's one input pipeline. Every command (scan, rbac,
// netpol, dr, audit, node, the admission webhook) describes what it reads
// as a Source and calls Load, so that the same files give the same objects
// everywhere: the same walk and exclusions, the same Helm and Kustomize
// rendering, the same namespace for objects that name none, and the same
// account of what could not be read.
package input

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	gitignore "github.com/monochromegane/go-gitignore"
	"k8s.io/client-go/rest"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/cluster"
	"github.com/kguard/kguard/internal/inventory/helm"
	"github.com/kguard/kguard/internal/inventory/kustomize"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rbac/builtin"
)

// IgnoreFile is read from the top of every directory input: gitignore
// patterns for paths the walk leaves out.
const IgnoreFile = ".kguardignore"

// Source is what a command reads: manifest paths (files, directories, "-"
// for standard input; Helm charts and Kustomize directories are rendered)
// or a live cluster. The zero value reads nothing.
type Source struct {
	// Paths are files, directories (searched recursively) and "-".
	Paths []string
	// Stdin is read for the path "-".
	Stdin io.Reader
	// Exclude are gitignore-style patterns for paths met while walking a
	// directory, on top of each directory's .kguardignore.
	Exclude []string
	// MaxFileSize bounds one input file (default inventory.DefaultMaxFileSize).
	MaxFileSize int64
	// Helm renders charts: values files, --set overrides, release name.
	// Its Namespace and KubeVersion are always the Source's.
	Helm helm.Options
	// Namespace is, for manifests, where namespaced objects that name no
	// namespace go (Helm's release namespace; default "default"), as kubectl
	// apply -n and helm install -n would put them; for a cluster, the one
	// namespace to read ("" for all).
	Namespace string

	// Templates says which custom resources are workloads and where their
	// pod template is (nil: the well-known table; .kguard.yaml adds kinds).
	Templates *extract.Templates

	// BuiltinRBAC gives manifests the built-in RBAC policy (cluster-admin,
	// edit, view, the system: roles and bindings) of the release nearest to
	// KubeVersion as their baseline, since every cluster they are applied to
	// holds it. A live cluster has its own and never gets it.
	BuiltinRBAC bool
	// KubeVersion is the Kubernetes release the manifests are for ("" for
	// the newest kguard knows): Helm renders charts for it, and the
	// built-in RBAC policy is the nearest release's.
	KubeVersion string

	// Progress, when set, counts files and objects as they are read.
	Progress *inventory.LoadProgress

	// Cluster, when set, reads a live cluster instead of Paths.
	Cluster *Cluster
}

// Cluster says how to read a live cluster.
type Cluster struct {
	Config *rest.Config
	// Name labels objects' sources (the context name or server URL).
	Name string
	// ReadSecretValues reads the data of every Secret, not only TLS ones.
	ReadSecretValues bool
	// Progress is called as resource types are listed.
	Progress func(done, total, objects int)
}

// Result is what Load read.
type Result struct {
	Inventory *inventory.Inventory
	// Errors are inputs that could not be read or parsed, or rendered.
	Errors []*inventory.InputError
	// NotRead are resource types the cluster did not let kguard read.
	NotRead []finding.NotEvaluated
	// Files is how many files were read.
	Files int
	// Skipped are walked files that hold no Kubernetes object.
	Skipped []string
	// Included are Kustomize bases rendered inside a scanned overlay and
	// so not on their own.
	Included []string
	// ServerVersion is the live cluster's version ("1.31"), if read.
	ServerVersion string
}

// Problems is how many things could not be read: a partial result.
func (r *Result) Problems() int { return len(r.Errors) + len(r.NotRead) }

// ErrNoInput is returned when a Source names nothing to read.
var ErrNoInput = errors.New("no input: give files or directories (PATH or -f), - for standard input, or --cluster")

// NoObjectsError is returned when the inputs were read but hold no
// Kubernetes object at all: a failed `helm template | kguard scan -` must
// not pass as a clean scan.
type NoObjectsError struct {
	Files   int
	Skipped []string
}

func (e *NoObjectsError) Error() string {
	msg := "no Kubernetes object found in the input"
	if e.Files > 0 {
		msg += fmt.Sprintf(" (%d file(s) read", e.Files)
		if len(e.Skipped) > 0 {
			msg += fmt.Sprintf(", %d without apiVersion and kind", len(e.Skipped))
		}
		msg += ")"
	}
	return msg
}

// Load reads src. It fails only when there is nothing to read, nothing was
// found, the cluster cannot be reached, or ctx ends; problems with single
// inputs are in the result and the rest is still read.
func Load(ctx context.Context, src Source) (*Result, error) {
	if src.Cluster != nil {
		if len(src.Paths) > 0 {
			return nil, errors.New("read either files or a cluster, not both")
		}
		return loadCluster(ctx, src)
	}
	if len(src.Paths) == 0 {
		return nil, ErrNoInput
	}
	helmOpts := src.Helm
	helmOpts.Namespace, helmOpts.KubeVersion = src.Namespace, src.KubeVersion
	ignore, err := newIgnore(src.Paths, src.Exclude)
	if err != nil {
		return nil, err
	}
	loaded, err := inventory.Load(ctx, src.Paths, inventory.LoadOptions{
		MaxFileSize: src.MaxFileSize,
		Stdin:       src.Stdin,
		Renderers:   []inventory.Renderer{&helm.Renderer{Options: helmOpts}, kustomize.Renderer{}},
		Ignore:      ignore,
		Progress:    src.Progress,
	})
	if err != nil {
		return nil, err
	}
	objs := loaded.Inventory.Objects()
	errs := append(loaded.Errors, prepare(objs, src.Templates, src.Namespace)...)
	inv := inventory.New(objs)
	if src.BuiltinRBAC {
		release, err := k8sversions.Target(src.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("built-in RBAC policy: %w", err)
		}
		if inv, _, err = builtin.Attach(inv, release); err != nil {
			return nil, fmt.Errorf("built-in RBAC policy: %w", err)
		}
	}
	res := &Result{
		Inventory: inv,
		Errors:    errs,
		Files:     loaded.Files,
		Skipped:   loaded.Skipped,
		Included:  loaded.Included,
	}
	if res.Inventory.Len() == 0 && len(res.Errors) == 0 {
		return res, &NoObjectsError{Files: res.Files, Skipped: res.Skipped}
	}
	return res, nil
}

func loadCluster(ctx context.Context, src Source) (*Result, error) {
	c := src.Cluster
	name := c.Name
	if name == "" && c.Config != nil {
		name = c.Config.Host
	}
	got, err := cluster.Load(ctx, c.Config, cluster.Options{
		Namespace: src.Namespace, ReadSecretValues: c.ReadSecretValues, Name: name, Progress: c.Progress,
		PodTemplates: src.Templates,
	})
	if err != nil {
		return nil, fmt.Errorf("read cluster %s: %w", name, err)
	}
	errs := prepare(got.Objects, src.Templates, "")
	res := &Result{Inventory: inventory.New(got.Objects), Errors: errs, ServerVersion: got.ServerVersion}
	for _, f := range got.Forbidden {
		res.NotRead = append(res.NotRead, finding.NotEvaluated{
			Subject:    f.Resource.GroupResource().String(),
			Namespace:  f.Namespace,
			Reason:     "forbidden: kguard may not read it, so nothing was checked there",
			Permission: f.Permission,
		})
	}
	return res, nil
}

// prepare is what every object goes through after it is read and before
// anything judges it, whatever the source: the pod templates of custom
// resources are decoded (an Argo Rollout is a workload like a Deployment;
// a template that does not decode is an input error), then namespaced
// objects that name no namespace are put in namespace. It must run before
// the objects are indexed and shared.
func prepare(objs []*inventory.Object, templates *extract.Templates, namespace string) []*inventory.InputError {
	errs := templates.Resolve(objs)
	inventory.DefaultNamespaces(objs, namespace)
	return errs
}

// newIgnore builds the walk's filter from each directory input's
// .kguardignore and the --exclude patterns (relative to each directory).
func newIgnore(paths, exclude []string) (func(string, bool) bool, error) {
	type scoped struct {
		dir string
		m   gitignore.IgnoreMatcher
	}
	var matchers []scoped
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil || !info.IsDir() {
			continue
		}
		if len(exclude) > 0 {
			matchers = append(matchers, scoped{p, gitignore.NewGitIgnoreFromReader(p, strings.NewReader(strings.Join(exclude, "\n")))})
		}
		f := filepath.Join(p, IgnoreFile)
		data, err := os.ReadFile(f)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		matchers = append(matchers, scoped{p, gitignore.NewGitIgnoreFromReader(p, strings.NewReader(string(data)))})
	}
	if len(matchers) == 0 {
		return nil, nil
	}
	return func(path string, isDir bool) bool {
		for _, s := range matchers {
			// A directory's patterns apply only below it.
			if rel, err := filepath.Rel(s.dir, path); err != nil || strings.HasPrefix(rel, "..") {
				continue
			}
			if s.m.Match(path, isDir) {
				return true
			}
		}
		return false
	}, nil
}

// Admitted reads the one object of an admission request the way Load
// reads files: the same decoding and pod templates, and an object that
// names no namespace put in the request's namespace (where the API server
// stores it).
func Admitted(raw []byte, namespace, name string, templates *extract.Templates) (*inventory.Inventory, error) {
	objs, err := inventory.DecodeJSON(raw, inventory.Source{Cluster: "admission"})
	if err == nil && len(objs) != 1 {
		err = fmt.Errorf("expected one object, got %d", len(objs))
	}
	if err != nil {
		return nil, err
	}
	obj := objs[0]
	if obj.Name == "" {
		// generateName: the server names the object after admission.
		obj.Name = name
	}
	// A request with a namespace is for a namespaced object, whatever its
	// kind: no scope table is needed.
	if obj.Namespace == "" && namespace != "" {
		obj.Namespace, obj.Meta.Namespace, obj.NamespaceDefaulted = namespace, namespace, true
		if u, ok := obj.Unstructured(); ok {
			u.SetNamespace(namespace)
		}
	}
	if errs := templates.Resolve(objs); len(errs) > 0 {
		// The source is "admission": the object and field say it all.
		return nil, errs[0].Err
	}
	return inventory.New(objs), nil
}
