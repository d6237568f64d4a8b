package extract

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	kjson "sigs.k8s.io/json"

	"github.com/kguard/kguard/internal/inventory"
)

// TemplateKind says where objects of one kind that kguard has no Go type
// for (a custom resource) keep their pod template.
type TemplateKind struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	// Path is the dotted field path of the pod template (the object with
	// metadata and spec that pods are made from), such as "spec.template".
	Path string `json:"path"`
	// Resource is the kind's plural resource name, which admission webhook
	// rules and RBAC use; "" when not known.
	Resource string `json:"resource,omitempty"`
}

func (k TemplateKind) String() string { return k.Kind + "." + k.Group + " " + k.Path }

// WellKnownTemplates lists the custom resources of widely used projects that
// run pods from a template of their own. Each project's Go types embed
// k8s.io/api's PodTemplateSpec (Knative's embeds a PodSpec inline next to
// a few serving fields, which decoding ignores), so the template decodes
// into corev1.PodTemplateSpec like a Deployment's. A kind may list several
// paths; the first one present is the template. Every kind here is
// namespaced, as its pods are.
func WellKnownTemplates() []TemplateKind {
	return []TemplateKind{
		// Argo Rollouts. A Rollout that points at a Deployment
		// (spec.workloadRef) has no template of its own: the Deployment is
		// judged where it is declared.
		{Group: "argoproj.io", Kind: "Rollout", Path: "spec.template", Resource: "rollouts"},
		// OpenKruise: CloneSet, Advanced StatefulSet (v1alpha1 and v1beta1),
		// Advanced DaemonSet, BroadcastJob, AdvancedCronJob (one Job or
		// BroadcastJob template).
		{Group: "apps.kruise.io", Kind: "CloneSet", Path: "spec.template", Resource: "clonesets"},
		{Group: "apps.kruise.io", Kind: "StatefulSet", Path: "spec.template", Resource: "statefulsets"},
		{Group: "apps.kruise.io", Kind: "DaemonSet", Path: "spec.template", Resource: "daemonsets"},
		{Group: "apps.kruise.io", Kind: "BroadcastJob", Path: "spec.template", Resource: "broadcastjobs"},
		{Group: "apps.kruise.io", Kind: "AdvancedCronJob", Path: "spec.template.jobTemplate.spec.template", Resource: "advancedcronjobs"},
		{Group: "apps.kruise.io", Kind: "AdvancedCronJob", Path: "spec.template.broadcastJobTemplate.spec.template", Resource: "advancedcronjobs"},
		// Knative Serving: a Service or Configuration stamps out Revisions
		// from spec.template (a RevisionTemplateSpec: a pod spec plus
		// containerConcurrency, timeoutSeconds and the like).
		{Group: "serving.knative.dev", Kind: "Service", Path: "spec.template", Resource: "services"},
		{Group: "serving.knative.dev", Kind: "Configuration", Path: "spec.template", Resource: "configurations"},
		// OpenShift DeploymentConfig.
		{Group: "apps.openshift.io", Kind: "DeploymentConfig", Path: "spec.template", Resource: "deploymentconfigs"},
		// KEDA ScaledJob: spec.jobTargetRef is a JobSpec.
		{Group: "keda.sh", Kind: "ScaledJob", Path: "spec.jobTargetRef.template", Resource: "scaledjobs"},
	}
}

// templatePatterns are the places any other untyped object is looked at
// for a pod template, the paths of the built-in workload kinds. Without a
// table entry saying so, a map there counts only when its
// spec.containers is a list: many custom resources have a spec.template
// that is no pod template.
var templatePatterns = []fieldPath{
	{"spec.template", []string{"spec", "template"}},
	{"spec.jobTemplate.spec.template", []string{"spec", "jobTemplate", "spec", "template"}},
}

// Templates is the table of where untyped objects keep their pod templates:
// the well-known custom resources, any kinds added (from .kguard.yaml), and
// the generic patterns. It is built once and only read; a nil *Templates
// is the default table (WellKnownTemplates and the patterns).
type Templates struct {
	byKind map[schema.GroupKind][]fieldPath
	kinds  []TemplateKind
}

type fieldPath struct {
	text   string
	fields []string
}

var defaultTemplates = sync.OnceValue(func() *Templates {
	t, err := newTemplates(nil)
	if err != nil {
		panic("extract: the well-known template table is invalid: " + err.Error())
	}
	return t
})

// NewTemplates builds the table from WellKnownTemplates and extra. The
// entries of extra for a kind replace that kind's well-known paths; several
// entries for one kind are tried in order. Every extra entry is checked
// (TemplateKind.Validate).
func NewTemplates(extra ...TemplateKind) (*Templates, error) {
	var errs []error
	for i, k := range extra {
		if err := k.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("entry %d: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return newTemplates(extra)
}

func newTemplates(extra []TemplateKind) (*Templates, error) {
	t := &Templates{byKind: map[schema.GroupKind][]fieldPath{}}
	replaced := map[schema.GroupKind]bool{}
	for _, k := range extra {
		replaced[schema.GroupKind{Group: k.Group, Kind: k.Kind}] = true
	}
	var errs []error
	add := func(k TemplateKind) {
		gk := schema.GroupKind{Group: k.Group, Kind: k.Kind}
		p, err := parsePath(k.Path)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
			return
		}
		if slices.ContainsFunc(t.byKind[gk], func(q fieldPath) bool { return q.text == p.text }) {
			errs = append(errs, fmt.Errorf("%s %s: path %s is listed twice", k.Group, k.Kind, k.Path))
			return
		}
		t.byKind[gk] = append(t.byKind[gk], p)
		t.kinds = append(t.kinds, k)
	}
	for _, k := range WellKnownTemplates() {
		if !replaced[schema.GroupKind{Group: k.Group, Kind: k.Kind}] {
			add(k)
		}
	}
	for _, k := range extra {
		add(k)
	}
	return t, errors.Join(errs...)
}

func (t *Templates) table() *Templates {
	if t == nil {
		return defaultTemplates()
	}
	return t
}

// Kinds lists the table's entries, well-known first, one per path.
func (t *Templates) Kinds() []TemplateKind { return slices.Clone(t.table().kinds) }

// GroupKinds lists the kinds of the table, each once, in table order: the
// custom resources a live-cluster read must list for the rules to see them.
func (t *Templates) GroupKinds() []schema.GroupKind {
	var out []schema.GroupKind
	for _, k := range t.table().kinds {
		gk := schema.GroupKind{Group: k.Group, Kind: k.Kind}
		if !slices.Contains(out, gk) {
			out = append(out, gk)
		}
	}
	return out
}

// Has reports whether the table names gk.
func (t *Templates) Has(gk schema.GroupKind) bool {
	_, ok := t.table().byKind[gk]
	return ok
}

var (
	pathField = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	kindName  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
)

// Validate checks an entry added by a user: a group and kind that kguard
// decodes as a custom resource, and a path of field names.
func (k TemplateKind) Validate() error {
	var errs []string
	switch {
	case k.Group == "":
		errs = append(errs, "group is required (the custom resource's API group, such as example.com)")
	default:
		for _, msg := range validation.IsDNS1123Subdomain(k.Group) {
			errs = append(errs, fmt.Sprintf("group %q: %s", k.Group, msg))
		}
	}
	switch {
	case k.Kind == "":
		errs = append(errs, "kind is required (such as Widget)")
	case !kindName.MatchString(k.Kind):
		errs = append(errs, fmt.Sprintf("kind %q: want letters and digits, such as Widget", k.Kind))
	}
	if gk := (schema.GroupKind{Group: k.Group, Kind: k.Kind}); k.Kind != "" && inventory.IsTypedKind(gk) {
		errs = append(errs, fmt.Sprintf("%s %s is a built-in kind whose pod template kguard already reads", k.Group, k.Kind))
	}
	if _, err := parsePath(k.Path); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) == 0 {
		return nil
	}
	// One line: callers prefix it with where the entry is.
	return errors.New(strings.Join(errs, "; "))
}

// parsePath reads a dotted field path such as "spec.template".
func parsePath(s string) (fieldPath, error) {
	if s == "" {
		return fieldPath{}, errors.New("path is required (the pod template's field path, such as spec.template)")
	}
	fields := strings.Split(s, ".")
	for _, f := range fields {
		if !pathField.MatchString(f) {
			return fieldPath{}, fmt.Errorf("path %q: want field names joined by dots, such as spec.template (no list indexes)", s)
		}
	}
	return fieldPath{text: s, fields: fields}, nil
}

// Resolve finds and decodes the pod template of every untyped object in
// objs and stores it on the object (inventory.Object.PodTemplate), where
// PodSpec finds it. Call it once after loading and before the objects are
// shared: every loading path (files, charts, live clusters, admission
// requests) calls it, so every rule sees the same workloads. Objects that
// already carry a template are left alone.
//
// A template that is present but does not decode (a string where the pod
// spec wants a list, say) is returned as an input problem on that object,
// which is then not a workload: it is reported, not silently passed.
func (t *Templates) Resolve(objs []*inventory.Object) []*inventory.InputError {
	tab := t.table()
	var errs []*inventory.InputError
	for _, o := range objs {
		if o.PodTemplate != nil {
			continue
		}
		u, ok := o.Unstructured()
		if !ok {
			continue
		}
		pt, err := tab.find(o.GroupKind(), u.Object)
		if err != nil {
			file := o.Source.File
			if file == "" {
				file = o.Source.String()
			}
			errs = append(errs, &inventory.InputError{File: file, Line: o.Source.Line, Err: fmt.Errorf("%s: %w", o.Ref, err)})
			continue
		}
		o.PodTemplate = pt
	}
	return errs
}

// find looks for the template of one object: at the table's paths for its
// kind (where a non-object is an error), else at the generic patterns.
func (t *Templates) find(gk schema.GroupKind, content map[string]any) (*inventory.PodTemplate, error) {
	if paths, ok := t.byKind[gk]; ok {
		for _, p := range paths {
			v, found := lookup(content, p.fields)
			if !found || v == nil {
				continue
			}
			m, isMap := v.(map[string]any)
			if !isMap {
				return nil, fmt.Errorf("%s: want a pod template (an object with metadata and spec), got %s", p.text, jsonType(v))
			}
			pt, err := decodeTemplate(p.text, m)
			if pt != nil {
				pt.Listed = true
			}
			return pt, err
		}
		// No template: a Rollout with a workloadRef, say.
		return nil, nil
	}
	for _, p := range templatePatterns {
		v, _ := lookup(content, p.fields)
		m, isMap := v.(map[string]any)
		if !isMap {
			continue
		}
		if cs, _ := lookup(m, []string{"spec", "containers"}); !isList(cs) {
			continue
		}
		return decodeTemplate(p.text, m)
	}
	return nil, nil
}

func isList(v any) bool {
	_, ok := v.([]any)
	return ok
}

// decodeTemplate decodes a template the way typed objects are decoded
// (sigs.k8s.io/json, case-sensitive, unknown fields ignored), so that a
// template says the same in a custom resource as in a Deployment.
func decodeTemplate(path string, m map[string]any) (*inventory.PodTemplate, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pt := &inventory.PodTemplate{Path: path}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(data, &pt.Template); err != nil {
		// Name the field as users write it, not the Go struct.
		if m := typeError.FindStringSubmatch(err.Error()); m != nil {
			return nil, fmt.Errorf("%s is not a valid pod template: %s.%s: %s where the pod spec wants %s", path, path, m[2], m[1], m[3])
		}
		return nil, fmt.Errorf("%s is not a valid pod template: %w", path, err)
	}
	return pt, nil
}

// typeError matches the decoder's type mismatch message: the JSON value,
// the field path after the Go struct's name, and the Go type.
var typeError = regexp.MustCompile(`^json: cannot unmarshal (.+) into Go struct field [A-Za-z0-9_]+\.(\S+) of type (\S+)$`)

func lookup(m map[string]any, fields []string) (any, bool) {
	var cur any = m
	for _, f := range fields {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[f]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// jsonType names a decoded JSON value's type for a message.
func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case nil:
		return "null"
	default:
		return "a number"
	}
}

// podTemplateWorkload is PodSpec for an object whose template Resolve found.
func podTemplateWorkload(obj *inventory.Object) (*Workload, bool) {
	pt := obj.PodTemplate
	if pt == nil {
		return nil, false
	}
	return &Workload{Object: obj, PodMeta: &pt.Template.ObjectMeta, Spec: &pt.Template.Spec, SpecPath: pt.Path + ".spec"}, true
}
