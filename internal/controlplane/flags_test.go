package controlplane

import "testing"

func TestKnownFlags(t *testing.T) {
	for component, want := range map[string]map[string]bool{
		"kube-apiserver": {"authorization-mode": true, "etcd-servers": true, "v": true, "insecure-port": false, "authorization_mode": false},
		"etcd":           {"data-dir": true, "client-cert-auth": true, "peer-auto-tls": true, "insecure-port": false},
	} {
		known, ok := KnownFlags(component)
		if !ok || len(known) < 50 {
			t.Fatalf("%s: %d known flags", component, len(known))
		}
		for flag, w := range want {
			if known[flag] != w {
				t.Errorf("%s --%s known = %v, want %v", component, flag, known[flag], w)
			}
		}
	}
	if _, ok := KnownFlags("kubelet"); ok {
		t.Error("kubelet has no flag list yet")
	}
}
