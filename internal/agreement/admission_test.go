package agreement

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kguard/kguard/internal/admission"
	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/all"
	"github.com/kguard/kguard/internal/scan"
)

// asOf fixes the clock of both paths, for the date-dependent rules.
var asOf = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// TestAdmissionAgreesWithScan: every object of every input set is sent to
// the webhook (in audit mode, where every finding becomes a warning), and
// the warnings must be exactly the scan's findings on that object from the
// rules that run at admission. The negative control is a webhook whose
// configuration moves the Argo Rollout's pod template to a path that does
// not exist: it must disagree on the Rollout fixtures.
func TestAdmissionAgreesWithScan(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	settings := &rules.Settings{Now: asOf}
	good := &admission.Handler{Registry: reg, Config: &config.Config{}, Settings: settings, DefaultMode: admission.ModeAudit}
	broken, err := config.Parse([]byte("podTemplates:\n  - {group: argoproj.io, kind: Rollout, path: spec.elsewhere}\n"))
	if err != nil {
		t.Fatal(err)
	}
	bad := &admission.Handler{Registry: reg, Config: broken, Settings: settings, DefaultMode: admission.ModeAudit}

	var objects, compared, disagree, controlDisagree int
	for _, set := range inputSets(t) {
		loaded, ok := load(t, set)
		if !ok {
			continue
		}
		res, err := scan.Run(context.Background(), loaded.Inventory, scan.Options{Registry: reg, Settings: settings})
		if err != nil {
			t.Fatal(err)
		}
		// Objects are told apart by where they are, too: configuration
		// files (EncryptionConfiguration...) often have no name.
		type key struct {
			ref inventory.Ref
			src inventory.Source
		}
		want := map[key][]string{}
		for _, f := range res.Findings {
			if r, ok := reg.Get(f.Rule); ok && r.AtAdmission() {
				k := key{f.Resource, f.Source}
				want[k] = append(want[k], admission.Warning(f))
			}
		}
		for _, o := range loaded.Inventory.Objects() {
			objects++
			req := request(t, o)
			got := review(good, req)
			exp := sorted(want[key{o.Ref, o.Source}])
			compared += len(exp)
			if !slices.Equal(got, exp) {
				disagree++
				if disagree <= 10 {
					t.Errorf("%s: %s (%s):\n webhook %q\n    scan %q", set.name, o.Ref, o.Source, got, exp)
				}
			}
			if !slices.Equal(review(bad, req), exp) {
				controlDisagree++
			}
		}
	}
	t.Logf("%d objects, %d admission findings compared, %d disagreements; broken control: %d", objects, compared, disagree, controlDisagree)
	if disagree > 0 {
		t.Errorf("%d objects judged differently by the webhook and the scan", disagree)
	}
	if compared < 500 {
		t.Errorf("only %d findings compared: the inputs lost their coverage", compared)
	}
	if controlDisagree == 0 {
		t.Error("negative control: a webhook that cannot find Rollouts' templates agreed with the scan on every object; the comparison cannot fail")
	}
}

// request is the AdmissionRequest the API server would send to create o.
func request(t *testing.T, o *inventory.Object) *admissionv1.AdmissionRequest {
	t.Helper()
	raw, err := json.Marshal(o.Typed)
	if err != nil {
		t.Fatal(err)
	}
	gvk := o.Typed.GetObjectKind().GroupVersionKind()
	return &admissionv1.AdmissionRequest{
		UID:       types.UID(fmt.Sprintf("%s/%s/%s", o.Kind, o.Namespace, o.Name)),
		Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Namespace: o.Namespace,
		Name:      o.Name,
		Operation: admissionv1.Create,
		Object:    runtime.RawExtension{Raw: raw},
	}
}

// review returns the webhook's warnings, sorted; a denial or an error is
// returned as a warning-like line so that it counts as a difference.
func review(h *admission.Handler, req *admissionv1.AdmissionRequest) []string {
	resp := h.Review(context.Background(), req)
	out := slices.Clone(resp.Warnings)
	if !resp.Allowed && resp.Result != nil {
		out = append(out, "DENIED: "+resp.Result.Message)
	}
	return sorted(out)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		s = []string{}
	}
	return s
}
