package backup

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/rules/rulestest"
)

// now is the fixed scan time the staleness fixtures are written against.
var now = time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)

func TestRules(t *testing.T) {
	rulestest.Run(t, Rules(), "testdata", &rules.Settings{Now: now})
}

// TestNoScheduleOnLiveCluster: a live cluster is judged even without any
// Velero object; the same workload from a file is not.
func TestNoScheduleOnLiveCluster(t *testing.T) {
	dep := func(cluster string) *inventory.Object {
		d := &appsv1.Deployment{}
		d.Name, d.Namespace = "web", "shop"
		return &inventory.Object{Ref: inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
			Typed: d, Meta: &d.ObjectMeta, Source: inventory.Source{Cluster: cluster, File: map[bool]string{true: "", false: "web.yaml"}[cluster != ""]}}
	}
	for cluster, want := range map[string]int{"prod": 1, "": 0} {
		inv := inventory.New([]*inventory.Object{dep(cluster)})
		r := noSchedule()
		p := rules.NewPass(r, inv, nil, nil)
		r.CheckInventory(p)
		if got := len(p.Findings()); got != want {
			t.Errorf("cluster %q: %d findings, want %d", cluster, got, want)
		}
	}
}

// TestNoScheduleUnnamespaced: objects the pipeline leaves without a
// namespace (an inventory built by hand, say) get one finding of their
// own, next to each namespace's.
func TestNoScheduleUnnamespaced(t *testing.T) {
	dep := func(ns, name string) *inventory.Object {
		d := &appsv1.Deployment{}
		d.Name, d.Namespace = name, ns
		return &inventory.Object{Ref: inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name},
			Typed: d, Meta: &d.ObjectMeta, Source: inventory.Source{Cluster: "prod"}}
	}
	inv := inventory.New([]*inventory.Object{dep("", "a"), dep("", "b"), dep("shop", "web"), dep("kube-system", "dns")})
	r := noSchedule()
	p := rules.NewPass(r, inv, nil, nil)
	r.CheckInventory(p)
	want := map[string]string{
		"a":   "2 workloads or PersistentVolumeClaims without a namespace are deployed but no backup schedule exists",
		"web": `namespace "shop" has 1 workload but no backup schedule exists`,
	}
	if len(p.Findings()) != len(want) {
		t.Fatalf("%d findings, want %d: %v", len(p.Findings()), len(want), p.Findings())
	}
	for _, f := range p.Findings() {
		if w, ok := want[f.Resource.Name]; !ok || !strings.Contains(f.Message, w) {
			t.Errorf("finding on %s: %q, want %q", f.Resource.Name, f.Message, w)
		}
	}
}
