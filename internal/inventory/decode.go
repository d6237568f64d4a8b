package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
)

// typeMeta is what a document must say about itself before it can be
// decoded into a typed object.
type typeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// Scheme holds the kinds kguard decodes into typed structs: exactly the
// built-in API of k8s.io/api. It is kguard's own, not client-go's global
// scheme, which other libraries (Helm registers the CRD types in it) change
// at init: what is typed must not depend on which packages are linked.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := scheme.AddToScheme(s); err != nil {
		panic(fmt.Sprintf("build the decoding scheme: %v", err))
	}
	return s
}()

// ErrNotObject marks a document that is not a Kubernetes object at all (no
// apiVersion or kind, or not a mapping): a Helm values file, a CI workflow,
// kguard's own config. Loaders skip files made only of such documents.
var ErrNotObject = errors.New("not a Kubernetes object")

// DecodeJSON decodes one JSON document into objects: one object, or the
// items of a List. Errors name what is wrong but not where; callers add the
// file and line.
func DecodeJSON(data []byte, src Source) ([]*Object, error) {
	var tm typeMeta
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &tm); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotObject, err)
	}
	return decodeKnown(data, tm, src)
}

// decodeKnown is DecodeJSON once apiVersion and kind are known.
func decodeKnown(data []byte, tm typeMeta, src Source) ([]*Object, error) {
	if tm.APIVersion == "" || tm.Kind == "" {
		var missing []string
		if tm.APIVersion == "" {
			missing = append(missing, "apiVersion")
		}
		if tm.Kind == "" {
			missing = append(missing, "kind")
		}
		if len(missing) == 2 {
			return nil, fmt.Errorf("document has no apiVersion or kind: %w", ErrNotObject)
		}
		return nil, fmt.Errorf("document has no %s: not a Kubernetes object", missing[0])
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("bad apiVersion %q: %w", tm.APIVersion, err)
	}
	if isList(tm.Kind) {
		return decodeList(data, src)
	}
	obj, err := decodeTyped(data, gv.WithKind(tm.Kind))
	if err != nil {
		return nil, err
	}
	o, err := wrap(obj, src)
	if err != nil {
		return nil, err
	}
	return []*Object{o}, nil
}

// isList tells whether kind is a list wrapper whose items are the objects.
func isList(kind string) bool {
	return kind == "List" || strings.HasSuffix(kind, "List")
}

func decodeList(data []byte, src Source) ([]*Object, error) {
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &list); err != nil {
		return nil, fmt.Errorf("decode list: %w", err)
	}
	var out []*Object
	var errs []error
	for i, item := range list.Items {
		objs, err := DecodeJSON(item, src)
		if err != nil {
			errs = append(errs, fmt.Errorf("items[%d]: %w", i, err))
			continue
		}
		out = append(out, objs...)
	}
	return out, errors.Join(errs...)
}

func decodeTyped(data []byte, gvk schema.GroupVersionKind) (runtime.Object, error) {
	obj, err := Scheme.New(gvk)
	if err != nil {
		// Not a kind kguard knows (a CRD, or a removed API version):
		// keep it as unstructured content.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("decode %s: %w", gvk.Kind, err)
		}
		return u, nil
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, obj); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", gvk.GroupVersion(), gvk.Kind, err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return obj, nil
}

// typedKinds are the group-kinds client-go's scheme decodes into Go types,
// in any version.
var typedKinds = sync.OnceValue(func() map[schema.GroupKind]bool {
	m := map[schema.GroupKind]bool{}
	for gvk := range scheme.Scheme.AllKnownTypes() {
		m[gvk.GroupKind()] = true
	}
	return m
})

// IsTypedKind reports whether kguard decodes objects of this group and kind
// into a k8s.io/api type (in at least one API version), rather than keeping
// them as unstructured content.
func IsTypedKind(gk schema.GroupKind) bool { return typedKinds()[gk] }

// Wrap builds an Object around an already decoded runtime object (from a
// live cluster, say). obj's GroupVersionKind must be set.
func Wrap(obj runtime.Object, src Source) (*Object, error) { return wrap(obj, src) }

// wrap builds the Object around a decoded runtime object.
func wrap(obj runtime.Object, src Source) (*Object, error) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	o := &Object{
		Ref:    Ref{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind},
		Typed:  obj,
		Source: src,
	}
	switch t := obj.(type) {
	case *unstructured.Unstructured:
		o.Meta = &metav1.ObjectMeta{
			Name:        t.GetName(),
			Namespace:   t.GetNamespace(),
			Labels:      t.GetLabels(),
			Annotations: t.GetAnnotations(),
		}
	case metav1.ObjectMetaAccessor:
		m, ok := t.GetObjectMeta().(*metav1.ObjectMeta)
		if !ok {
			return nil, fmt.Errorf("%s has no object metadata", gvk.Kind)
		}
		o.Meta = m
	default:
		return nil, fmt.Errorf("%s has no object metadata", gvk.Kind)
	}
	// Live objects carry managedFields that no rule reads; drop them early.
	o.Meta.ManagedFields = nil
	o.Namespace, o.Name = o.Meta.Namespace, o.Meta.Name
	return o, nil
}
