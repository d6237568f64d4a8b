package backup

import (
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
