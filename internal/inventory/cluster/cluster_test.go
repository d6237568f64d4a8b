package cluster_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/cluster"
	"github.com/kguard/kguard/internal/inventory/helm"
	tcluster "github.com/kguard/kguard/internal/testutil/cluster"
)

func TestMain(m *testing.M) { os.Exit(tcluster.RunShared(m)) }

// TestCustomWorkloadsAreRead: the reader lists the served custom resources
// of the pod template table (the well-known ones and a config-added kind),
// drops what their controllers made (a Rollout's ReplicaSet), and the
// objects it returns become workloads once resolved.
func TestCustomWorkloadsAreRead(t *testing.T) {
	c := tcluster.Shared(t)
	ctx := context.Background()
	ap, err := tcluster.NewApplier(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, crd := range [][4]string{
		{"argoproj.io", "Rollout", "rollouts", "v1alpha1"},
		{"apps.kruise.io", "CloneSet", "clonesets", "v1alpha1"},
		{"example.com", "Widget", "widgets", "v1"},
	} {
		if err := ap.InstallCRD(ctx, crd[0], crd[1], crd[2], crd[3]); err != nil {
			t.Fatal(err)
		}
	}
	const pod = `{metadata: {labels: {app: %[1]s}}, spec: {containers: [{name: %[1]s, image: "ghcr.io/acme/%[1]s:1.0", securityContext: {privileged: true}}]}}`
	objs, errs := inventory.DecodeFile("crs.yaml", []byte(fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: crs}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: crs}
spec: {selector: {matchLabels: {app: web}}, template: `+pod+`}
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: cs, namespace: crs}
spec: {selector: {matchLabels: {app: cs}}, template: `+pod+`}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: crs}
spec: {pods: `+pod+`}
`, "web")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, _, err := ap.Apply(ctx, objs); err != nil {
		t.Fatal(err)
	}
	// A ReplicaSet the Rollout controller would make from its template.
	dyn := dynamic.NewForConfigOrDie(c.AdminConfig())
	ro, err := dyn.Resource(schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}).
		Namespace("crs").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	controller := true
	rs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "ReplicaSet",
		"metadata": map[string]any{"name": "web-7d9f", "namespace": "crs", "ownerReferences": []any{map[string]any{
			"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "web", "uid": string(ro.GetUID()), "controller": controller}}},
		"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": "web"}},
			"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "web"}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "web", "image": "ghcr.io/acme/web:1.0"}}}}},
	}}
	if err := ap.Create(ctx, rs); err != nil {
		t.Fatal(err)
	}

	widget := extract.TemplateKind{Group: "example.com", Kind: "Widget", Path: "spec.pods"}
	table, err := extract.NewTemplates(widget)
	if err != nil {
		t.Fatal(err)
	}
	read := func(t *testing.T, tmpl *extract.Templates) map[string]*inventory.Object {
		res, err := cluster.Load(ctx, c.AdminConfig(), cluster.Options{Namespace: "crs", PodTemplates: tmpl})
		if err != nil {
			t.Fatal(err)
		}
		if errs := tmpl.Resolve(res.Objects); len(errs) > 0 {
			t.Fatal(errs)
		}
		got := map[string]*inventory.Object{}
		for _, o := range res.Objects {
			if o.Namespace == "crs" {
				got[o.Kind+" "+o.Name] = o
			}
		}
		return got
	}

	got := read(t, table)
	want := map[string]string{
		"Rollout web": "spec.template.spec.containers[0]",
		"CloneSet cs": "spec.template.spec.containers[0]",
		"Widget w":    "spec.pods.spec.containers[0]",
	}
	for name, path := range want {
		o, ok := got[name]
		if !ok {
			t.Errorf("%s was not read (read: %v)", name, keys(got))
			continue
		}
		w, ok := extract.PodSpec(o)
		if !ok {
			t.Errorf("%s read from the cluster is not a workload", name)
			continue
		}
		if p := w.Containers()[0].Path; p != path {
			t.Errorf("%s: container path %q, want %q", name, p, path)
		}
		if sc := w.Spec.Containers[0].SecurityContext; sc == nil || sc.Privileged == nil || !*sc.Privileged {
			t.Errorf("%s: template not decoded: %+v", name, w.Spec.Containers[0])
		}
	}
	if _, ok := got["ReplicaSet web-7d9f"]; ok {
		t.Error("the Rollout's ReplicaSet was kept: its template would be reported twice")
	}

	// Without the config entry, Widgets are not read; the well-known kinds are.
	got = read(t, nil)
	if _, ok := got["Widget w"]; ok {
		t.Error("Widget read without a table entry")
	}
	if _, ok := got["Rollout web"]; !ok {
		t.Errorf("Rollout not read with the default table (read: %v)", keys(got))
	}
}

func keys(m map[string]*inventory.Object) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return strings.Join(out, ", ")
}

// TestChartGrantsEveryResource: the in-cluster chart's reader ClusterRole
// lets the scanner list every resource type it reads, the custom resources
// of the pod template table included.
func TestChartGrantsEveryResource(t *testing.T) {
	docs, err := helm.Template("../../../deploy/helm/kguard", helm.Options{Release: "kguard", Namespace: "kguard-system"})
	if err != nil {
		t.Fatal(err)
	}
	var role *rbacv1.ClusterRole
	for _, d := range docs {
		objs, errs := inventory.DecodeFile(d.Source, []byte(d.Content))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		for _, o := range objs {
			if r, ok := o.Typed.(*rbacv1.ClusterRole); ok && r.Name == "kguard-reader" {
				role = r
			}
		}
	}
	if role == nil {
		t.Fatal("the chart has no kguard-reader ClusterRole")
	}
	granted := func(gr schema.GroupResource) bool {
		for _, r := range role.Rules {
			if has(r.APIGroups, gr.Group) && has(r.Resources, gr.Resource) && has(r.Verbs, "list") {
				return true
			}
		}
		return false
	}
	want := append([]schema.GroupResource(nil), cluster.DefaultResources...)
	for _, k := range extract.WellKnownTemplates() {
		want = append(want, schema.GroupResource{Group: k.Group, Resource: k.Resource})
	}
	for _, gr := range want {
		if gr == (schema.GroupResource{Resource: "secrets"}) {
			continue // opt-in (readTLSSecrets), in a role of its own
		}
		if !granted(gr) {
			t.Errorf("the chart's reader role does not grant list on %s", gr)
		}
	}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
