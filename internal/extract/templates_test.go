package extract

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/inventory"
)

// Custom resources with pod templates in every shape the table knows, and
// objects that must not become workloads.
const customWorkloads = `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: rollout, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {initContainers: [{name: i, image: x}], containers: [{name: c, image: x, securityContext: {privileged: true}}]}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: rollout-workloadref, namespace: shop}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: web}
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: cloneset}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps.kruise.io/v1beta1
kind: StatefulSet
metadata: {name: kruise-sts}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps.kruise.io/v1alpha1
kind: AdvancedCronJob
metadata: {name: acj-job}
spec: {template: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}}}
---
apiVersion: apps.kruise.io/v1alpha1
kind: AdvancedCronJob
metadata: {name: acj-broadcast}
spec: {template: {broadcastJobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}}}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: knative}
spec:
  template:
    metadata: {annotations: {autoscaling.knative.dev/max-scale: "3"}}
    spec:
      containerConcurrency: 10
      timeoutSeconds: 300
      containers: [{image: x, ports: [{containerPort: 8080}]}]
  traffic: [{latestRevision: true, percent: 100}]
---
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: dc}
spec: {replicas: 1, template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: scaledjob}
spec: {jobTargetRef: {template: {spec: {containers: [{name: c, image: x}]}}}}
---
apiVersion: example.com/v1
kind: Generic
metadata: {name: generic}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: example.com/v1
kind: GenericCron
metadata: {name: generic-cron}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}}
---
apiVersion: example.com/v1
kind: NotAPod
metadata: {name: not-a-pod-template}
spec: {template: {spec: {replicas: 3}}}
---
apiVersion: example.com/v1
kind: NotAPod
metadata: {name: template-is-a-string}
spec: {template: "hello"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: typed-not-workload}
data: {template: x}
`

func TestResolveCustomWorkloads(t *testing.T) {
	objs, errs := inventory.DecodeFile("crs.yaml", []byte(customWorkloads))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// Before Resolve no custom resource is a workload.
	for _, o := range objs {
		if _, ok := PodSpec(o); ok {
			t.Errorf("%s is a workload before Resolve", o.Name)
		}
	}
	var tmpl *Templates // the default table
	if errs := tmpl.Resolve(objs); len(errs) > 0 {
		t.Fatal(errs)
	}
	want := map[string]string{
		"rollout":       "spec.template.spec.initContainers[0] spec.template.spec.containers[0]",
		"cloneset":      "spec.template.spec.containers[0]",
		"kruise-sts":    "spec.template.spec.containers[0]",
		"acj-job":       "spec.template.jobTemplate.spec.template.spec.containers[0]",
		"acj-broadcast": "spec.template.broadcastJobTemplate.spec.template.spec.containers[0]",
		"knative":       "spec.template.spec.containers[0]",
		"dc":            "spec.template.spec.containers[0]",
		"scaledjob":     "spec.jobTargetRef.template.spec.containers[0]",
		"generic":       "spec.template.spec.containers[0]",
		"generic-cron":  "spec.jobTemplate.spec.template.spec.containers[0]",
	}
	seen := 0
	for _, o := range objs {
		w, ok := PodSpec(o)
		exp, isWorkload := want[o.Name]
		if ok != isWorkload {
			t.Errorf("%s: PodSpec ok=%v, want %v", o.Name, ok, isWorkload)
			continue
		}
		if !ok {
			continue
		}
		seen++
		if w.Object != o {
			t.Errorf("%s: workload of another object", o.Name)
		}
		var paths []string
		for _, c := range w.Containers() {
			paths = append(paths, c.Path)
		}
		if got := strings.Join(paths, " "); got != exp {
			t.Errorf("%s: paths %q, want %q", o.Name, got, exp)
		}
	}
	if seen != len(want) {
		t.Errorf("saw %d workloads, want %d", seen, len(want))
	}

	// The decoded template is typed: fields, labels and annotations are read.
	rollout, _ := PodSpec(objs[0])
	if sc := rollout.Spec.Containers[0].SecurityContext; sc == nil || sc.Privileged == nil || !*sc.Privileged {
		t.Errorf("Rollout container's privileged flag not decoded: %+v", sc)
	}
	if rollout.PodMeta.Labels["app"] != "web" {
		t.Errorf("Rollout template labels = %v", rollout.PodMeta.Labels)
	}
	kn := objs[6]
	w, _ := PodSpec(kn)
	if w.PodMeta.Annotations["autoscaling.knative.dev/max-scale"] != "3" || w.Spec.Containers[0].Ports[0].ContainerPort != 8080 {
		t.Errorf("Knative template decoded as %+v", w.Spec)
	}
	// Every caller sees the same decoded template.
	again, _ := PodSpec(objs[0])
	if again.Spec != rollout.Spec {
		t.Error("PodSpec returned a different pod spec on the second call")
	}
}

// A string where a template belongs is no template for a pattern; for a
// table kind it is an input problem on that object, with its file and line.
func TestResolveMalformedTemplates(t *testing.T) {
	const docs = `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: string-template, namespace: shop}
spec: {template: "nginx"}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: bad-privileged, namespace: shop}
spec:
  template:
    spec:
      containers:
        - name: c
          image: x
          securityContext: {privileged: "very"}
---
apiVersion: example.com/v1
kind: Generic
metadata: {name: bad-containers}
spec: {template: {spec: {containers: [{name: c, ports: 8080}]}}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: fine, namespace: shop}
spec: {template: {spec: {containers: [{name: c, image: x}]}}}
`
	objs, errs := inventory.DecodeFile("bad.yaml", []byte(docs))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := (*Templates)(nil).Resolve(objs)
	want := []struct {
		line int
		text []string
	}{
		{1, []string{"Rollout shop/string-template", "spec.template: want a pod template", "got a string"}},
		{6, []string{"Rollout shop/bad-privileged", "spec.template is not a valid pod template",
			"spec.template.spec.containers.securityContext.privileged: string where the pod spec wants bool"}},
		{17, []string{"Generic bad-containers", "spec.template is not a valid pod template", "spec.template.spec.containers.ports: number where the pod spec wants []v1.ContainerPort"}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d input errors, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if e.File != "bad.yaml" || e.Line != w.line {
			t.Errorf("error %d at %s:%d, want bad.yaml:%d", i, e.File, e.Line, w.line)
		}
		for _, s := range w.text {
			if !strings.Contains(e.Error(), s) {
				t.Errorf("error %d %q does not say %q", i, e.Error(), s)
			}
		}
		if strings.Contains(e.Error(), "nginx") {
			t.Errorf("error %d repeats the object's content: %s", i, e.Error())
		}
	}
	for _, o := range objs[:3] {
		if _, ok := PodSpec(o); ok {
			t.Errorf("%s: a malformed template became a workload", o.Name)
		}
	}
	if _, ok := PodSpec(objs[3]); !ok {
		t.Error("the good Rollout after the bad ones is not a workload")
	}
}

func TestTemplatesFromConfig(t *testing.T) {
	tmpl, err := NewTemplates(
		TemplateKind{Group: "example.com", Kind: "Widget", Path: "spec.podTemplate"},
		// Replaces the well-known path of Rollout.
		TemplateKind{Group: "argoproj.io", Kind: "Rollout", Path: "spec.pods"},
	)
	if err != nil {
		t.Fatal(err)
	}
	const docs = `apiVersion: example.com/v1
kind: Widget
metadata: {name: widget}
spec: {podTemplate: {spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: rollout}
spec:
  template: {spec: {containers: [{name: ignored, image: x}]}}
  pods: {spec: {containers: [{name: c, image: x}]}}
`
	objs, _ := inventory.DecodeFile("w.yaml", []byte(docs))
	if errs := tmpl.Resolve(objs); len(errs) > 0 {
		t.Fatal(errs)
	}
	for i, want := range []string{"spec.podTemplate.spec.containers[0]", "spec.pods.spec.containers[0]"} {
		w, ok := PodSpec(objs[i])
		if !ok {
			t.Fatalf("%s is not a workload", objs[i].Name)
		}
		if got := w.Containers()[0].Path; got != want {
			t.Errorf("%s: container path %q, want %q", objs[i].Name, got, want)
		}
	}
	// The default table does not know Widget, and its spec.podTemplate
	// matches no generic pattern.
	objs, _ = inventory.DecodeFile("w.yaml", []byte(docs))
	(*Templates)(nil).Resolve(objs)
	if _, ok := PodSpec(objs[0]); ok {
		t.Error("Widget is a workload without the config entry")
	}
	gks := tmpl.GroupKinds()
	if !contains(gks, schema.GroupKind{Group: "example.com", Kind: "Widget"}) || !contains(gks, schema.GroupKind{Group: "argoproj.io", Kind: "Rollout"}) {
		t.Errorf("GroupKinds = %v", gks)
	}
}

func contains(gks []schema.GroupKind, gk schema.GroupKind) bool {
	for _, g := range gks {
		if g == gk {
			return true
		}
	}
	return false
}

func TestTemplateKindValidate(t *testing.T) {
	for _, tc := range []struct {
		k    TemplateKind
		want string // "" = valid
	}{
		{TemplateKind{Group: "example.com", Kind: "Widget", Path: "spec.template"}, ""},
		{TemplateKind{Group: "example.com", Kind: "Widget", Path: "spec.pod_template-1"}, ""},
		{TemplateKind{Kind: "Widget", Path: "spec.template"}, "group is required"},
		{TemplateKind{Group: "Example.COM", Kind: "Widget", Path: "spec.template"}, `group "Example.COM"`},
		{TemplateKind{Group: "example.com", Path: "spec.template"}, "kind is required"},
		{TemplateKind{Group: "example.com", Kind: "my-widget", Path: "spec.template"}, `kind "my-widget"`},
		{TemplateKind{Group: "example.com", Kind: "Widget"}, "path is required"},
		{TemplateKind{Group: "example.com", Kind: "Widget", Path: "spec..template"}, `path "spec..template"`},
		{TemplateKind{Group: "example.com", Kind: "Widget", Path: "spec.templates[0]"}, "no list indexes"},
		{TemplateKind{Group: "example.com", Kind: "Widget", Path: ".spec.template"}, "want field names"},
		{TemplateKind{Group: "apps", Kind: "Deployment", Path: "spec.template"}, "built-in kind"},
		{TemplateKind{Group: "batch", Kind: "CronJob", Path: "spec.jobTemplate"}, "built-in kind"},
	} {
		err := tc.k.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tc.k, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want one saying %q", tc.k, err, tc.want)
		}
	}
	if _, err := NewTemplates(TemplateKind{Group: "example.com", Kind: "Widget", Path: "spec.a"},
		TemplateKind{Group: "example.com", Kind: "Widget", Path: "spec.a"}); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate entry: %v", err)
	}
	if _, err := NewTemplates(TemplateKind{Group: "example.com", Kind: "Widget"}); err == nil || !strings.Contains(err.Error(), "entry 0") {
		t.Errorf("invalid entry: %v", err)
	}
}

// The well-known table is valid by the rules users' entries follow (bar the
// built-in check, which it passes too), and each kind names its resource.
func TestWellKnownTemplatesValid(t *testing.T) {
	for _, k := range WellKnownTemplates() {
		if err := k.Validate(); err != nil {
			t.Errorf("%s: %v", k, err)
		}
		if k.Resource == "" || strings.ToLower(k.Resource) != k.Resource {
			t.Errorf("%s: resource %q", k, k.Resource)
		}
	}
	if _, err := NewTemplates(); err != nil {
		t.Fatal(err)
	}
}
