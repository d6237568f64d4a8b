package controlplane

import (
	"context"
	"os"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/cluster"
	testcluster "github.com/kguard/kguard/internal/testutil/cluster"
)

func TestMain(m *testing.M) { os.Exit(testcluster.RunShared(m)) }

// TestFactsFromLiveCluster stores a kubeadm-style kube-apiserver mirror
// pod and a Node with a kubelet version in a real API server, reads the
// cluster the way `kguard scan --cluster` does, and checks the facts.
func TestFactsFromLiveCluster(t *testing.T) {
	c := testcluster.Shared(t)
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(c.AdminConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureServiceAccount(ctx, "kube-system", "default"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/kubeadm-apiserver.yaml")
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.DecodeFile("testdata/kubeadm-apiserver.yaml", data)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, o := range objs {
		switch v := o.Typed.(type) {
		case *corev1.Pod:
			v = v.DeepCopy()
			v.OwnerReferences = nil // the Node it names does not exist here
			if _, err := cs.CoreV1().Pods(v.Namespace).Create(ctx, v, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		case *corev1.Node:
			created, err := cs.CoreV1().Nodes().Create(ctx, v, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// Status is a subresource: the create above dropped it.
			created.Status = v.Status
			if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := cluster.Load(ctx, c.AdminConfig(), cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := FromInventory(inventory.New(res.Objects))
	if len(f.APIServers) != 1 {
		t.Fatalf("%d API servers found in the live cluster, want 1", len(f.APIServers))
	}
	a := f.APIServers[0]
	if a.AnonymousAuth() || !slices.Equal(a.AuthorizationModes(), []string{"Node", "RBAC"}) {
		t.Errorf("flags read back wrong: anonymous %v, authorization %v", a.AnonymousAuth(), a.AuthorizationModes())
	}
	versions := map[string]string{}
	for _, k := range f.Kubelets {
		versions[k.Node.Name] = k.Version
	}
	if versions["cp-1"] != "v1.31.4" || versions["worker-1"] != "v1.27.9" {
		t.Errorf("kubelet versions read back: %v", versions)
	}
}
