package cluster

import (
	"context"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/kguard/kguard/internal/inventory"
)

// Applier creates objects in a cluster by their kind, as kubectl create
// does, through discovery.
type Applier struct {
	// DryRun makes every request a server-side dry run: checked, admitted
	// or refused, never stored.
	DryRun bool
	// Strict refuses unknown and duplicate fields instead of dropping them.
	Strict bool

	dyn    dynamic.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
}

// NewApplier returns an applier acting as cfg's identity.
func NewApplier(cfg *rest.Config) (*Applier, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Applier{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))}, nil
}

// Apply creates each object (or replaces it when it exists). Objects whose
// kind and version the server does not serve are returned in skipped, not
// treated as errors: manifests may use removed API versions on purpose.
func (a *Applier) Apply(ctx context.Context, objs []*inventory.Object) (applied, skipped []*inventory.Object, err error) {
	for _, o := range objs {
		u, err := toUnstructured(o)
		if err != nil {
			return applied, skipped, err
		}
		ri, served, err := a.resource(u)
		if err != nil {
			return applied, skipped, err
		}
		if !served {
			skipped = append(skipped, o)
			continue
		}
		co := a.createOptions()
		_, err = ri.Create(ctx, u, co)
		if apierrors.IsAlreadyExists(err) {
			cur, gerr := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
			if gerr != nil {
				return applied, skipped, gerr
			}
			u.SetResourceVersion(cur.GetResourceVersion())
			_, err = ri.Update(ctx, u, metav1.UpdateOptions{DryRun: co.DryRun, FieldValidation: co.FieldValidation})
		}
		if err != nil {
			return applied, skipped, fmt.Errorf("apply %s: %w", o.Ref, err)
		}
		applied = append(applied, o)
	}
	return applied, skipped, nil
}

// Create creates one object given as a typed object with its TypeMeta set
// (or as unstructured). Unlike Apply it reports an object that exists, or
// a kind the server does not serve, as an error.
func (a *Applier) Create(ctx context.Context, obj runtime.Object) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return err
	}
	u := &unstructured.Unstructured{Object: m}
	ri, served, err := a.resource(u)
	if err != nil {
		return err
	}
	if !served {
		return fmt.Errorf("%s is not served", u.GroupVersionKind())
	}
	_, err = ri.Create(ctx, u, a.createOptions())
	return err
}

// resource maps u to its resource, in u's namespace ("default" when a
// namespaced object has none); served is false when the server does not
// serve u's kind and version.
func (a *Applier) resource(u *unstructured.Unstructured) (ri dynamic.ResourceInterface, served bool, err error) {
	gvk := u.GroupVersionKind()
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		a.mapper.Reset()
		if m, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); meta.IsNoMatchError(err) {
			return nil, false, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("map %s: %w", gvk, err)
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		return a.dyn.Resource(m.Resource), true, nil
	}
	if u.GetNamespace() == "" {
		u.SetNamespace("default")
	}
	return a.dyn.Resource(m.Resource).Namespace(u.GetNamespace()), true, nil
}

func (a *Applier) createOptions() metav1.CreateOptions {
	var opts metav1.CreateOptions
	if a.DryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	if a.Strict {
		opts.FieldValidation = metav1.FieldValidationStrict
	}
	return opts
}

func toUnstructured(o *inventory.Object) (*unstructured.Unstructured, error) {
	if u, ok := o.Unstructured(); ok {
		return u.DeepCopy(), nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Typed)
	if err != nil {
		return nil, fmt.Errorf("convert %s: %w", o.Ref, err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(o.APIVersion)
	u.SetKind(o.Kind)
	return u, nil
}

// Warnings records the API server's warnings (Pod Security's among them)
// as a rest.Config's WarningHandler.
type Warnings struct {
	mu   sync.Mutex
	msgs []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *Warnings) HandleWarningHeader(_ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

// Take returns the warnings recorded since the last call and forgets them.
func (w *Warnings) Take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}
