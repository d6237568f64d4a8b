package helm

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func TestRenderChartWithValuesAndDependency(t *testing.T) {
	r := &Renderer{Options: Options{
		ValuesFiles: []string{"testdata/webapp/prod-values.yaml"},
		Set:         []string{"image.tag=2.0.1"},
		Release:     "shop",
		Namespace:   "prod",
	}}
	objs, errs := r.Render(context.Background(), "testdata/webapp")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := map[string]string{}
	for _, o := range objs {
		got[o.Kind+"/"+o.Name] = o.Source.String()
	}
	// Template paths as helm prints them after "# Source:"; lines are in
	// the rendered document (service.yaml's second document starts at 11).
	want := map[string]string{
		"Deployment/shop-web":     "webapp/templates/deployment.yaml:1",
		"Service/shop-web":        "webapp/templates/service.yaml:1",
		"ConfigMap/shop-settings": "webapp/templates/service.yaml:11",
		"StatefulSet/shop-redis":  "webapp/charts/redis/templates/statefulset.yaml:1",
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s at %q, want %q", k, got[k], v)
		}
	}
	for _, o := range objs {
		d, ok := o.Typed.(*appsv1.Deployment)
		if !ok {
			continue
		}
		if *d.Spec.Replicas != 3 {
			t.Errorf("values file not applied: replicas %d", *d.Spec.Replicas)
		}
		c := d.Spec.Template.Spec.Containers[0]
		if c.Image != "ghcr.io/acme/webapp:2.0.1" {
			t.Errorf("--set not applied: image %q", c.Image)
		}
		if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
			t.Error("securityContext from values file not rendered")
		}
		if !strings.HasPrefix(o.Source.Origin, "helm chart testdata/webapp") {
			t.Errorf("origin = %q", o.Source.Origin)
		}
	}
}

func TestConditionDisablesDependency(t *testing.T) {
	docs, err := Template("testdata/webapp", Options{Set: []string{"redis.enabled=false"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if strings.Contains(d.Source, "redis") {
			t.Errorf("disabled dependency rendered: %s", d.Source)
		}
	}
	if len(docs) != 2 {
		t.Errorf("got %d templates, want 2 (NOTES.txt and helpers left out)", len(docs))
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		dir  string
		opts Options
		file string
		want []string
	}{
		{"testdata/missing-dep", Options{}, "testdata/missing-dep/Chart.yaml",
			[]string{"postgresql 16.0.0 (oci://registry.example.com/charts)", "helm dependency build"}},
		{"testdata/broken", Options{}, "testdata/broken",
			[]string{"broken/templates/cm.yaml", "nil pointer"}},
		{"testdata/webapp", Options{ValuesFiles: []string{"testdata/nope.yaml"}}, "testdata/nope.yaml",
			[]string{"values file", "no such file"}},
		{"testdata/webapp", Options{Set: []string{"image.tag"}}, "testdata/webapp",
			[]string{`--set "image.tag"`, "no value"}},
	}
	for _, tt := range tests {
		r := &Renderer{Options: tt.opts}
		objs, errs := r.Render(context.Background(), tt.dir)
		if len(objs) != 0 || len(errs) != 1 {
			t.Errorf("%s: got %d objects, %d errors", tt.dir, len(objs), len(errs))
			continue
		}
		if errs[0].File != tt.file {
			t.Errorf("%s: error names %q, want %q", tt.dir, errs[0].File, tt.file)
		}
		for _, w := range tt.want {
			if !strings.Contains(errs[0].Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tt.dir, errs[0], w)
			}
		}
	}
}

// TestRenderedFromIsWhatTheChartWrites checks that a rendered object
// carries the texts of its chart (its template, the helpers and
// values.yaml of its chart and of the charts above it) and not the
// values given when rendering.
func TestRenderedFromIsWhatTheChartWrites(t *testing.T) {
	r := &Renderer{Options: Options{ValuesFiles: []string{"testdata/webapp/prod-values.yaml"}, Release: "shop"}}
	objs, errs := r.Render(context.Background(), "testdata/webapp")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// Distinctive lines of each file, as written in testdata/webapp.
	const (
		deployment  = "kind: Deployment"
		statefulset = "kind: StatefulSet"
		helpers     = `define "webapp.labels"`
		values      = "repository: ghcr.io/acme/webapp"
		prodValues  = "readOnlyRootFilesystem: true"
	)
	for _, tc := range []struct {
		obj       string
		want, not []string
	}{
		{"Deployment/shop-web", []string{deployment, helpers, values}, []string{statefulset, prodValues}},
		// A subchart's template sees its parent's values.yaml and helpers.
		{"StatefulSet/shop-redis", []string{statefulset, helpers, values}, []string{deployment, prodValues}},
	} {
		t.Run(tc.obj, func(t *testing.T) {
			var from []string
			found := false
			for _, o := range objs {
				if o.Kind+"/"+o.Name == tc.obj {
					from, found = o.RenderedFrom, true
				}
			}
			if !found {
				t.Fatalf("%s not rendered", tc.obj)
			}
			all := strings.Join(from, "\n---\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("RenderedFrom lacks %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(all, n) {
					t.Errorf("RenderedFrom holds %q", n)
				}
			}
		})
	}
}
