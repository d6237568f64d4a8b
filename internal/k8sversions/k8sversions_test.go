package k8sversions

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

func TestParseRelease(t *testing.T) {
	tests := []struct {
		in      string
		want    Release
		wantErr bool
	}{
		{"1.25", Release{1, 25}, false},
		{"v1.25", Release{1, 25}, false},
		{"1.25.3", Release{1, 25}, false},
		{"v1.30.0-rc.1", Release{1, 30}, false},
		{" 1.9 ", Release{1, 9}, false},
		{"1.37-alpha.0", Release{1, 37}, false},
		{"", Release{}, true},
		{"1", Release{}, true},
		{"latest", Release{}, true},
		{"2.1", Release{}, true},
		{"1.x", Release{}, true},
		{"1.-3", Release{}, true},
		{"1.25abc", Release{}, true},
	}
	for _, tt := range tests {
		got, err := ParseRelease(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseRelease(%q) = %v, %v; want %v, error=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "MAJOR.MINOR") {
			t.Errorf("ParseRelease(%q) error %q does not say what is expected", tt.in, err)
		}
	}
}

func TestTargetDefaultsToLatest(t *testing.T) {
	got, err := Target("")
	if err != nil || got != Latest {
		t.Fatalf("Target(\"\") = %v, %v; want %v", got, err, Latest)
	}
	if got, _ := Target("1.20"); got != (Release{1, 20}) {
		t.Fatalf("Target(1.20) = %v", got)
	}
}

func TestReleaseCompare(t *testing.T) {
	a, b := Release{1, 9}, Release{1, 25}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Error("Compare orders minor releases numerically")
	}
	if !b.AtLeast(a) || a.AtLeast(b) || !a.AtLeast(a) {
		t.Error("AtLeast is >=")
	}
	if (Release{1, 25}).String() != "1.25" {
		t.Error("String")
	}
}

func TestStatusAt(t *testing.T) {
	cron, ok := Lookup("batch/v1beta1", "CronJob")
	if !ok {
		t.Fatal("batch/v1beta1 CronJob missing")
	}
	// Deprecated in 1.21, removed in 1.25 (deprecation guide).
	for _, tt := range []struct {
		at   Release
		want Status
	}{
		{Release{1, 20}, Served}, {Release{1, 21}, Deprecated}, {Release{1, 24}, Deprecated},
		{Release{1, 25}, Removed}, {Release{1, 37}, Removed},
	} {
		if got := cron.StatusAt(tt.at); got != tt.want {
			t.Errorf("CronJob at %v: %v, want %v", tt.at, got, tt.want)
		}
	}
	ep, _ := Lookup("v1", "Endpoints")
	if ep.StatusAt(Release{1, 99}) != Deprecated || ep.StatusAt(Release{1, 32}) != Served {
		t.Error("core v1 Endpoints: deprecated from 1.33, never removed")
	}
	if _, ok := Lookup("apps/v1", "Deployment"); ok {
		t.Error("apps/v1 Deployment is not deprecated")
	}
}

func TestTableWellFormed(t *testing.T) {
	seen := map[apiKey]bool{}
	for _, a := range apis {
		k := apiKey{a.APIVersion, a.Kind}
		if seen[k] {
			t.Errorf("%s %s listed twice", a.APIVersion, a.Kind)
		}
		seen[k] = true
		if a.Deprecated.IsZero() || a.Replacement == "" || a.Source == "" {
			t.Errorf("%s %s: deprecation, replacement and source are required", a.APIVersion, a.Kind)
		}
		if !a.Removed.IsZero() && !a.Removed.AtLeast(a.Deprecated) {
			t.Errorf("%s %s removed (%v) before deprecated (%v)", a.APIVersion, a.Kind, a.Removed, a.Deprecated)
		}
		if a.Deprecated.Compare(Latest) > 0 {
			t.Errorf("%s %s deprecated after the newest known release", a.APIVersion, a.Kind)
		}
	}
}

// lifecycle is what k8s.io/api generates from the +k8s:prerelease-lifecycle
// tags; the API server builds its deprecation warnings from it.
type deprecatedType interface{ APILifecycleDeprecated() (int, int) }
type removedType interface{ APILifecycleRemoved() (int, int) }
type replacedType interface {
	APILifecycleReplacement() schema.GroupVersionKind
}

// lifecycleOverrides are entries whose dates deliberately differ from the
// type's tag, with the reason in apis.go.
var lifecycleOverrides = map[apiKey]bool{}

// TestTableAgreesWithAPILifecycle checks every table entry whose type
// client-go still knows against the lifecycle metadata of k8s.io/api.
func TestTableAgreesWithAPILifecycle(t *testing.T) {
	checked := 0
	for _, a := range apis {
		gv, err := schema.ParseGroupVersion(a.APIVersion)
		if err != nil {
			t.Fatalf("%s: %v", a.APIVersion, err)
		}
		obj, err := scheme.Scheme.New(gv.WithKind(a.Kind))
		if err != nil || lifecycleOverrides[apiKey{a.APIVersion, a.Kind}] {
			continue // removed from k8s.io/api (PSP, HPA v2beta*) or not in client-go (CRD, APIService)
		}
		d, ok := obj.(deprecatedType)
		if !ok {
			t.Errorf("%s %s: k8s.io/api does not mark it deprecated", a.APIVersion, a.Kind)
			continue
		}
		checked++
		if maj, min := d.APILifecycleDeprecated(); (Release{maj, min}) != a.Deprecated {
			t.Errorf("%s %s: table says deprecated in %v, k8s.io/api says %d.%d", a.APIVersion, a.Kind, a.Deprecated, maj, min)
		}
		var removed Release
		if rm, ok := obj.(removedType); ok {
			maj, min := rm.APILifecycleRemoved()
			removed = Release{maj, min}
		}
		if removed != a.Removed {
			t.Errorf("%s %s: table says removed in %v, k8s.io/api says %v", a.APIVersion, a.Kind, a.Removed, removed)
		}
		if rp, ok := obj.(replacedType); ok {
			gvk := rp.APILifecycleReplacement()
			want := gvk.GroupVersion().String() + " " + strings.TrimSuffix(gvk.Kind, "List")
			// flowcontrol v1beta1/v1beta2 name v1beta3 as their replacement,
			// itself removed since; the table points at v1 instead.
			if a.Replacement != want && !strings.HasPrefix(a.APIVersion, "flowcontrol.") {
				t.Errorf("%s %s: table replacement %q, k8s.io/api says %q", a.APIVersion, a.Kind, a.Replacement, want)
			}
		}
	}
	if checked < 40 {
		t.Errorf("only %d entries were cross-checked; has client-go's scheme shrunk?", checked)
	}
}

// notManifestKinds are deprecated types that are subresources or request
// bodies, never objects in a manifest.
var notManifestKinds = map[string]bool{"Scale": true, "DeploymentRollback": true, "Eviction": true}

// TestTableComplete fails when k8s.io/api (after an upgrade) deprecates a
// beta type, by Latest, that the table does not list.
func TestTableComplete(t *testing.T) {
	for gvk := range scheme.Scheme.AllKnownTypes() {
		if !strings.Contains(gvk.Version, "beta") || strings.HasSuffix(gvk.Kind, "List") || notManifestKinds[gvk.Kind] {
			continue
		}
		obj, err := scheme.Scheme.New(gvk)
		if err != nil {
			continue
		}
		d, ok := obj.(deprecatedType)
		if !ok {
			continue
		}
		maj, min := d.APILifecycleDeprecated()
		if (Release{maj, min}).Compare(Latest) > 0 {
			continue
		}
		if _, ok := Lookup(gvk.GroupVersion().String(), gvk.Kind); !ok {
			t.Errorf("%s %s is deprecated in %d.%d but missing from the table", gvk.GroupVersion(), gvk.Kind, maj, min)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Lookup("batch/v1beta1", "CronJob"); !ok {
			b.Fatal("missing")
		}
		if _, ok := Lookup("apps/v1", "Deployment"); ok {
			b.Fatal("unexpected")
		}
	}
}
