package input

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/inventory"
)

const repo = "testdata/repo"

// names lists "Kind namespace/name" of every object, sorted.
func names(inv *inventory.Inventory) []string {
	var out []string
	for _, o := range inv.Objects() {
		out = append(out, o.Kind+" "+o.Namespace+"/"+o.Name)
	}
	slices.Sort(out)
	return out
}

func TestLoadRepository(t *testing.T) {
	tests := []struct {
		name    string
		src     Source
		want    []string
		skipped []string
	}{
		{
			name: "walk",
			src:  Source{Paths: []string{repo}},
			// The base is read once, inside its overlay (namespace prod);
			// the vendored pod is excluded by .kguardignore; the namespace-
			// less ServiceAccount lands in default, the ClusterRole nowhere.
			want: []string{
				"ClusterRole /reader",
				"ConfigMap default/release-name-settings",
				"Deployment prod/web",
				"ServiceAccount default/loose",
			},
			skipped: []string{"testdata/repo/ci/workflow.yaml", "testdata/repo/notes/values-prod.yaml"},
		},
		{
			name: "namespace and release",
			src:  Source{Paths: []string{repo}, Namespace: "shop", Exclude: []string{"app/"}},
			want: []string{
				"ClusterRole /reader",
				"ConfigMap shop/release-name-settings",
				"ServiceAccount shop/loose",
			},
			skipped: []string{"testdata/repo/ci/workflow.yaml", "testdata/repo/notes/values-prod.yaml"},
		},
		{
			name: "base alone is rendered when it is all there is",
			src:  Source{Paths: []string{filepath.Join(repo, "app", "base")}},
			want: []string{"Deployment default/web"},
		},
		{
			name: "an ignored path named explicitly is read",
			src:  Source{Paths: []string{filepath.Join(repo, "vendor", "ignored", "pod.yaml")}},
			want: []string{"Pod default/vendored"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Load(context.Background(), tt.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors {
				t.Errorf("input error: %v", e)
			}
			if got := names(res.Inventory); !slices.Equal(got, tt.want) {
				t.Errorf("objects:\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(res.Skipped, tt.skipped) {
				t.Errorf("skipped %q, want %q", res.Skipped, tt.skipped)
			}
		})
	}
}

func TestLoadMarksDefaultedNamespaces(t *testing.T) {
	res, err := Load(context.Background(), Source{Paths: []string{filepath.Join(repo, "plain.yaml")}, Namespace: "team"})
	if err != nil {
		t.Fatal(err)
	}
	sa, ok := res.Inventory.Get("", "ServiceAccount", "team", "loose")
	if !ok || !sa.NamespaceDefaulted || sa.Meta.Namespace != "team" {
		t.Fatalf("ServiceAccount loose not defaulted into team: %+v", sa)
	}
	cr, ok := res.Inventory.Get("rbac.authorization.k8s.io", "ClusterRole", "", "reader")
	if !ok || cr.NamespaceDefaulted {
		t.Fatalf("ClusterRole must stay cluster-scoped: %+v", cr)
	}
}

func TestLoadNothing(t *testing.T) {
	if _, err := Load(context.Background(), Source{}); !errors.Is(err, ErrNoInput) {
		t.Errorf("no paths: %v, want ErrNoInput", err)
	}
	// Only non-Kubernetes files: an error, not an empty clean scan.
	_, err := Load(context.Background(), Source{Paths: []string{filepath.Join(repo, "ci"), filepath.Join(repo, "notes")}})
	var none *NoObjectsError
	if !errors.As(err, &none) || none.Files != 2 || len(none.Skipped) != 2 {
		t.Fatalf("got %v, want a NoObjectsError for 2 files, 2 skipped", err)
	}
	if !strings.Contains(err.Error(), "no Kubernetes object found") {
		t.Errorf("message %q", err)
	}
	// An empty standard input (a failed helm template | kguard scan -).
	_, err = Load(context.Background(), Source{Paths: []string{"-"}, Stdin: strings.NewReader("")})
	if !errors.As(err, &none) {
		t.Errorf("empty stdin: %v, want a NoObjectsError", err)
	}
	// A file named explicitly that holds no object is an error, not skipped.
	res, err := Load(context.Background(), Source{Paths: []string{filepath.Join(repo, "ci", "workflow.yaml"), filepath.Join(repo, "plain.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !errors.Is(res.Errors[0], inventory.ErrNotObject) || len(res.Skipped) != 0 {
		t.Errorf("errors %v, skipped %v: want the workflow as the one error", res.Errors, res.Skipped)
	}
}

func TestAdmittedTakesRequestNamespace(t *testing.T) {
	inv, err := Admitted([]byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"x-"}}`), "shop", "x-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := inv.Objects()[0]
	if o.Namespace != "shop" || o.Name != "x-1" {
		t.Errorf("admitted object is %s/%s, want shop/x-1", o.Namespace, o.Name)
	}
}
