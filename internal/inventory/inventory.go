package inventory

import (
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Inventory is the set of objects one scan looks at, indexed for the lookups
// rules make. It is built once and then only read, so rules may share it
// across goroutines.
type Inventory struct {
	objects []*Object
	byKind  map[schema.GroupKind][]*Object
	byKey   map[key]*Object
	// namespaces are all namespace names seen, from Namespace objects or
	// from the namespace of namespaced objects.
	namespaces map[string]bool

	crdOnce sync.Once
	crds    map[schema.GroupKind]bool
	// baseline: see Baseline.
	baseline []*Object
}

type key struct {
	gk        schema.GroupKind
	namespace string
	name      string
}

// New builds an inventory from objects, kept in the order given. Callers
// that load in parallel sort before calling New so that the order (and so
// every report) never depends on scheduling.
func New(objects []*Object) *Inventory {
	inv := &Inventory{
		objects:    objects,
		byKind:     make(map[schema.GroupKind][]*Object),
		byKey:      make(map[key]*Object, len(objects)),
		namespaces: make(map[string]bool),
	}
	for _, o := range objects {
		gk := o.GroupKind()
		inv.byKind[gk] = append(inv.byKind[gk], o)
		k := key{gk, o.Namespace, o.Name}
		if _, dup := inv.byKey[k]; !dup {
			inv.byKey[k] = o
		}
		if o.Namespace != "" {
			inv.namespaces[o.Namespace] = true
		}
		if gk.Group == "" && gk.Kind == "Namespace" {
			inv.namespaces[o.Name] = true
		}
	}
	return inv
}

// Objects returns every object in load order.
func (inv *Inventory) Objects() []*Object { return inv.objects }

// Len is the number of objects.
func (inv *Inventory) Len() int { return len(inv.objects) }

// ByKind returns the objects of one group and kind, in load order. The same
// kind under different versions (extensions/v1beta1 and apps/v1 Deployment)
// is grouped by its group, so callers ask for each group they care about.
func (inv *Inventory) ByKind(group, kind string) []*Object {
	return inv.byKind[schema.GroupKind{Group: group, Kind: kind}]
}

// Get returns the first object with that group, kind, namespace and name.
func (inv *Inventory) Get(group, kind, namespace, name string) (*Object, bool) {
	o, ok := inv.byKey[key{schema.GroupKind{Group: group, Kind: kind}, namespace, name}]
	return o, ok
}

// Baseline returns the objects that every cluster the inputs are applied to
// holds without them, such as the API server's built-in RBAC policy; nil
// for a live cluster, whose objects are all inputs. They are not among
// Objects: rules never judge them (the user did not write them), while
// engines that model the cluster (RBAC) take them into account, letting an
// input object of the same kind, namespace and name replace one.
func (inv *Inventory) Baseline() []*Object { return inv.baseline }

// WithBaseline returns a copy of inv, sharing its objects and indexes,
// whose Baseline is objs.
func (inv *Inventory) WithBaseline(objs []*Object) *Inventory {
	// Not a struct copy: the lazily built CRD scope table has its own lock.
	return &Inventory{objects: inv.objects, byKind: inv.byKind, byKey: inv.byKey, namespaces: inv.namespaces, baseline: objs}
}

// Namespaces returns every namespace name the inventory mentions, sorted.
func (inv *Inventory) Namespaces() []string {
	out := make([]string, 0, len(inv.namespaces))
	for n := range inv.namespaces {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Namespace returns the Namespace object of that name, if it was loaded.
func (inv *Inventory) Namespace(name string) (*corev1.Namespace, bool) {
	o, ok := inv.Get("", "Namespace", "", name)
	if !ok {
		return nil, false
	}
	ns, ok := o.Typed.(*corev1.Namespace)
	return ns, ok
}

// IsSystemNamespace reports the namespaces Kubernetes creates for its own
// components (kube-system, kube-public, kube-node-lease).
func IsSystemNamespace(ns string) bool {
	switch ns {
	case "kube-system", "kube-public", "kube-node-lease":
		return true
	}
	return false
}
