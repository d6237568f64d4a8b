package controlplane

import (
	"slices"
	"testing"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/inventorytest"
)

func load(t *testing.T, file string) *inventory.Inventory { return inventorytest.Load(t, file) }

func TestFromInventory(t *testing.T) {
	f := FromInventory(load(t, "testdata/kubeadm-apiserver.yaml"))
	if len(f.APIServers) != 1 {
		t.Fatalf("%d API servers found, want 1 (the proxy pod is not one)", len(f.APIServers))
	}
	a := f.APIServers[0]
	if a.Object.Name != "kube-apiserver-cp-1" || a.Container != "kube-apiserver" {
		t.Errorf("found %s/%s", a.Object.Name, a.Container)
	}
	if a.AnonymousAuth() {
		t.Error("anonymous-auth=false read as true")
	}
	if got := a.AuthorizationModes(); !slices.Equal(got, []string{"Node", "RBAC"}) {
		t.Errorf("authorization modes %v", got)
	}
	// A repeated flag: the last one wins, as in the API server.
	if got := a.List("enable-admission-plugins"); !slices.Equal(got, []string{"NodeRestriction", "PodSecurity"}) {
		t.Errorf("admission plugins %v", got)
	}
	// "--flag value" as well as "--flag=value".
	if v, _ := a.Value("tls-min-version"); v != "VersionTLS12" {
		t.Errorf("tls-min-version %q", v)
	}
	if a.Bool("profiling", true) {
		t.Error("profiling=false read as true")
	}
	if _, ok := a.Value("encryption-provider-config"); ok {
		t.Error("encryption-provider-config found but not set")
	}
	if len(f.Kubelets) != 2 || f.Kubelets[1].Version != "v1.27.9" {
		t.Errorf("kubelets %+v", f.Kubelets)
	}
}

func TestDefaults(t *testing.T) {
	a := &APIServer{Flags: ParseFlags([]string{"kube-apiserver", "--etcd-servers=https://127.0.0.1:2379", "--v", "--secure-port", "6443"})}
	if !a.AnonymousAuth() {
		t.Error("anonymous auth defaults to true")
	}
	if got := a.AuthorizationModes(); !slices.Equal(got, []string{"AlwaysAllow"}) {
		t.Errorf("default authorization %v", got)
	}
	if v, _ := a.Value("v"); v != "true" {
		t.Errorf("flag without value = %q, want true", v)
	}
	if v, _ := a.Value("secure-port"); v != "6443" {
		t.Errorf("secure-port = %q", v)
	}
}

func TestNoControlPlaneVisible(t *testing.T) {
	f := FromInventory(inventory.New(nil))
	if len(f.APIServers) != 0 || len(f.Kubelets) != 0 {
		t.Errorf("facts from nothing: %+v", f)
	}
}
