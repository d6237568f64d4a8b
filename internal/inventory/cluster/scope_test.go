package cluster_test

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/testutil/cluster"
)

// TestBuiltinScopesMatchDiscovery checks kguard's table of cluster-scoped
// built-in kinds against a real API server: every kind the server serves
// is namespaced exactly when the table says so. The table is what the
// input pipeline uses to put objects that name no namespace where kubectl
// would.
func TestBuiltinScopesMatchDiscovery(t *testing.T) {
	c := cluster.Start(t, cluster.Options{})
	dc, err := discovery.NewDiscoveryClientForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	lists, err := dc.ServerPreferredResources()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") {
				continue // subresources
			}
			gk := schema.GroupKind{Group: gv.Group, Kind: r.Kind}
			if got := !inventory.BuiltinClusterScoped(gk); got != r.Namespaced {
				t.Errorf("%s: kguard says namespaced=%v, the API server %v", gk, got, r.Namespaced)
			}
			checked++
		}
	}
	if checked < 50 {
		t.Fatalf("only %d kinds served: discovery looks wrong", checked)
	}
	t.Logf("%d served kinds agree", checked)
}
