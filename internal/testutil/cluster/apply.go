package cluster

import (
	"context"
	"fmt"

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
		gvk := u.GroupVersionKind()
		m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			a.mapper.Reset()
			if m, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); meta.IsNoMatchError(err) {
				skipped = append(skipped, o)
				continue
			}
		}
		if err != nil {
			return applied, skipped, fmt.Errorf("map %s: %w", gvk, err)
		}
		var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ns := u.GetNamespace()
			if ns == "" {
				ns = "default"
				u.SetNamespace(ns)
			}
			ri = a.dyn.Resource(m.Resource).Namespace(ns)
		}
		_, err = ri.Create(ctx, u, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			cur, gerr := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
			if gerr != nil {
				return applied, skipped, gerr
			}
			u.SetResourceVersion(cur.GetResourceVersion())
			_, err = ri.Update(ctx, u, metav1.UpdateOptions{})
		}
		if err != nil {
			return applied, skipped, fmt.Errorf("apply %s: %w", o.Ref, err)
		}
		applied = append(applied, o)
	}
	return applied, skipped, nil
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
