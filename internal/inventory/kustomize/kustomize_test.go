package kustomize

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func TestBuildOverlay(t *testing.T) {
	objs, errs := Renderer{}.Render(context.Background(), "testdata/app/overlays/prod")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := map[string]string{}
	for _, o := range objs {
		got[o.Kind+"/"+o.Namespace+"/"+o.Name] = o.Source.File
		if o.Annotation(originAnnotation) != "" {
			t.Errorf("%s: origin annotation left on the object", o.Name)
		}
		if o.Source.Origin != "kustomize testdata/app/overlays/prod" {
			t.Errorf("%s: origin %q", o.Name, o.Source.Origin)
		}
	}
	want := map[string]string{
		"Deployment/prod/prod-api": filepath.Clean("testdata/app/base/deployment.yaml"),
		"Service/prod/prod-api":    filepath.Clean("testdata/app/base/service.yaml"),
		// Generated objects have no file of their own: they point at the
		// overlay.
		"ConfigMap/prod/prod-api-settings-": "",
	}
	for k, file := range want {
		found := false
		for g, f := range got {
			if strings.HasPrefix(g, k) {
				found = true
				if file != "" && f != file {
					t.Errorf("%s: source %q, want %q", g, f, file)
				}
			}
		}
		if !found {
			t.Errorf("missing %s in %v", k, got)
		}
	}
	for _, o := range objs {
		if d, ok := o.Typed.(*appsv1.Deployment); ok {
			sc := d.Spec.Template.Spec.Containers[0].SecurityContext
			if sc == nil || sc.Privileged == nil || !*sc.Privileged {
				t.Error("the overlay's patch was not applied")
			}
		}
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct{ dir, file, want string }{
		{"testdata/remote", "testdata/remote/kustomization.yaml", "remote resource \"https://github.com/example/manifests//deploy?ref=v1.2.0\" is not supported"},
		{"testdata/broken", "testdata/broken", "does-not-exist.yaml"},
	}
	for _, tt := range tests {
		objs, errs := Renderer{}.Render(context.Background(), tt.dir)
		if len(objs) != 0 || len(errs) != 1 {
			t.Fatalf("%s: %d objects, %d errors", tt.dir, len(objs), len(errs))
		}
		if errs[0].File != tt.file || !strings.Contains(errs[0].Error(), tt.want) {
			t.Errorf("%s: error %q (file %q), want file %q and %q", tt.dir, errs[0], errs[0].File, tt.file, tt.want)
		}
	}
}

func TestIsRemote(t *testing.T) {
	for r, want := range map[string]bool{
		"../base": false, "deploy.yaml": false, "/abs/dir": false,
		"github.com/org/repo/deploy?ref=v1": true, "git@github.com:org/repo.git": true,
		"https://example.com/x.yaml": true, "ssh://git@host/repo": true,
	} {
		if isRemote(r) != want {
			t.Errorf("isRemote(%q) = %v", r, !want)
		}
	}
}
