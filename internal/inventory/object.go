package inventory

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Source says where an object was read from. File and Line are empty for
// objects read from a live cluster; Origin carries extra provenance such as a
// Helm template path or a Kustomize origin file.
type Source struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Origin string `json:"origin,omitempty"`
	// Cluster is set for objects read from a live cluster (the context name
	// or server URL).
	Cluster string `json:"cluster,omitempty"`
}

func (s Source) String() string {
	switch {
	case s.File != "" && s.Line > 0:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	case s.File != "":
		return s.File
	case s.Cluster != "":
		return "cluster " + s.Cluster
	}
	return "-"
}

// Ref identifies an object the way users name it.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

func (r Ref) String() string {
	if r.Namespace != "" {
		return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name)
	}
	return fmt.Sprintf("%s %s", r.Kind, r.Name)
}

// Group returns the API group of the reference's apiVersion ("" for core).
func (r Ref) Group() string {
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	if err != nil {
		return ""
	}
	return gv.Group
}

// Object is one Kubernetes object with its provenance.
type Object struct {
	Ref
	// Typed is the object decoded into its k8s.io/api type (for example
	// *appsv1.Deployment), or an *unstructured.Unstructured for kinds kguard
	// does not know.
	Typed runtime.Object
	// Meta points into Typed's metadata; never nil.
	Meta   *metav1.ObjectMeta
	Source Source
	// NamespaceDefaulted is set when the manifest named no namespace and
	// the loader put the object where kubectl or Helm would create it (the
	// -n namespace, or "default"); see DefaultNamespaces.
	NamespaceDefaulted bool
	// PodTemplate is the pod template of an object kguard has no Go type
	// for (a custom resource such as an Argo Rollout) that keeps one at a
	// known path. It is decoded once, after loading and before the
	// inventory is shared (extract.Templates.Resolve), so that every reader
	// sees the same typed template; nil for every other object.
	PodTemplate *PodTemplate
	// RenderedFrom holds, for an object rendered from a template (a Helm
	// chart), the texts of the chart it was rendered from: its template,
	// and the helpers and default values (values.yaml) of its chart and
	// of the charts above it. Rules that ask whether a value is
	// written in the repository, rather than supplied when rendering
	// (--values, --set) or generated (randAlphaNum, lookup), look for it
	// there. Nil for objects read as they are written.
	RenderedFrom []string
}

// PodTemplate is a pod template found inside an untyped object.
type PodTemplate struct {
	// Path is the field path of the template inside the object, such as
	// "spec.template".
	Path     string
	Template corev1.PodTemplateSpec
	// Listed is set when the kind is in the template table (well known or
	// configured), which also says the kind is namespaced; templates found
	// by the generic spec.template patterns say nothing about scope.
	Listed bool
}

// GroupKind returns the object's API group and kind.
func (o *Object) GroupKind() schema.GroupKind {
	return schema.GroupKind{Group: o.Group(), Kind: o.Kind}
}

// Unstructured returns the object as unstructured content when kguard has no
// typed representation for its kind.
func (o *Object) Unstructured() (*unstructured.Unstructured, bool) {
	u, ok := o.Typed.(*unstructured.Unstructured)
	return u, ok
}

// Annotation returns an annotation's value, or "".
func (o *Object) Annotation(key string) string {
	if o.Meta == nil {
		return ""
	}
	return o.Meta.Annotations[key]
}
