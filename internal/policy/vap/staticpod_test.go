package vap

import (
	"testing"

	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/inventorytest"
	"github.com/kguard/kguard/internal/rules/all"
)

// TestStaticPodsExemptLikeTheScan: exported policies exempt the same
// control-plane static pods as the scan. The bindings leave kube-system out
// by default, so the policies are exported here with no namespace left out:
// the expressions alone must allow kubeadm's static pods, and every policy
// must give each pod the Go rule's verdict. The negative control, in the
// same run: the same pods moved to another namespace are ordinary pods,
// some policies must deny them, and Go and CEL must still agree.
func TestStaticPodsExemptLikeTheScan(t *testing.T) {
	reg, err := all.Registry()
	if err != nil {
		t.Fatal(err)
	}
	policies, _, err := Export(reg, Options{ExcludeNamespaces: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	load := func(ns string) []*inventory.Object {
		var out []*inventory.Object
		for _, file := range []string{"../../rules/all/testdata/kubeadm-static-pods.yaml", "../../controlplane/testdata/static-pods.yaml"} {
			for _, o := range inventorytest.Objects(t, file) {
				if _, ok := controlplane.StaticPod(o); !ok {
					continue
				}
				if ns != "" {
					// Meta points into Typed: the JSON the CEL sees moves too.
					o.Namespace, o.Meta.Namespace = ns, ns
				}
				out = append(out, o)
			}
		}
		return out
	}
	static := load("")
	if len(static) != 7 {
		t.Fatalf("%d static pods in the fixtures, want 7", len(static))
	}
	moved := load("tools")
	check := func(objs []*inventory.Object) (denied int) {
		for _, p := range policies {
			if p.Rule.CheckWorkload == nil {
				continue
			}
			ev, err := NewEvaluator(p.Policy)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				goFires := fires(t, p.Rule, o)
				celAllows, err := ev.Allowed(asMap(t, o))
				if err != nil {
					t.Fatalf("%s on %s: CEL error: %v", p.Rule.ID, o.Ref, err)
				}
				if goFires == celAllows {
					t.Errorf("%s on %s: Go rule fires=%v but CEL allows=%v", p.Rule.ID, o.Ref, goFires, celAllows)
				}
				if !celAllows {
					denied++
				}
			}
		}
		return denied
	}
	if n := check(static); n != 0 {
		t.Errorf("exported policies deny control-plane static pods %d times; the scan exempts them", n)
	}
	if n := check(moved); n == 0 {
		t.Error("no exported policy denies the same pods outside kube-system: the test cannot tell an exemption from a lenient policy")
	}
}
