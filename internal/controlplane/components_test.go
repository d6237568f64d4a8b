package controlplane

import (
	"slices"
	"testing"

	"github.com/kguard/kguard/internal/inventory"
)

func TestComponentsFromInventory(t *testing.T) {
	inv := load(t, "testdata/kubeadm-components.yaml")
	got := ComponentsFromInventory(inv)
	var names []string
	for _, c := range got {
		names = append(names, c.Name+"="+c.Object.Name+"/"+c.Container)
	}
	want := []string{
		"kube-controller-manager=kube-controller-manager-cp-1/kube-controller-manager",
		"kube-scheduler=kube-scheduler-cp-1/kube-scheduler",
		"etcd=etcd-cp-1/main",
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Fatalf("components %v, want %v", names, want)
	}
	byName := map[string]*Component{}
	for _, c := range got {
		byName[c.Name] = c
	}
	if byName[ComponentControllerManager].Bool("profiling", true) {
		t.Error("controller manager profiling=false read as true")
	}
	if v, _ := byName[ComponentScheduler].Value("bind-address"); v != "0.0.0.0" {
		t.Errorf("scheduler bind-address %q", v)
	}
	if !byName[ComponentEtcd].Bool("peer-client-cert-auth", false) || byName[ComponentEtcd].Bool("auto-tls", false) {
		t.Error("etcd boolean flags misread")
	}
	if got := byName[ComponentEtcd].List("cert-file"); !slices.Equal(got, []string{"/etc/kubernetes/pki/etcd/server.crt"}) {
		t.Errorf("etcd cert-file %v", got)
	}
	if f := ContainerField(byName[ComponentEtcd].Object, "main"); f != "spec.containers[0]" {
		t.Errorf("container field %q", f)
	}
	if img := ContainerImage(byName[ComponentScheduler].Object, "kube-scheduler"); img != "registry.k8s.io/kube-scheduler:v1.31.4" {
		t.Errorf("image %q", img)
	}
	// The API server facts are unchanged by the other components.
	if f := FromInventory(inv); len(f.APIServers) != 0 {
		t.Errorf("API servers found among other components: %d", len(f.APIServers))
	}
}

func TestComponentsNoneVisible(t *testing.T) {
	if got := ComponentsFromInventory(inventory.New(nil)); len(got) != 0 {
		t.Errorf("components from nothing: %v", got)
	}
	if got := ComponentsFromInventory(load(t, "testdata/kubeadm-apiserver.yaml")); len(got) != 0 {
		t.Errorf("the API server or a proxy taken for a component: %v", got)
	}
}
