package controlplane

import (
	"slices"
	"testing"
)

func TestNodeObjects(t *testing.T) {
	inv := load(t, "testdata/node-objects.yaml")

	facts := FromInventory(inv)
	if len(facts.APIServers) != 1 || facts.APIServers[0].Field != "spec.command" || !slices.Equal(facts.APIServers[0].AuthorizationModes(), []string{"Node", "RBAC"}) {
		t.Fatalf("API server from a NodeProcess: %+v", facts.APIServers)
	}
	byName := map[string]*Component{}
	for _, c := range ComponentsFromInventory(inv) {
		byName[c.Object.Name] = c
	}
	etcd := byName["etcd"]
	if etcd == nil || etcd.Name != ComponentEtcd {
		t.Fatalf("etcd NodeProcess not read: %v", byName)
	}
	// The flag wins over the environment; the environment fills in.
	if v, src, _ := etcd.Setting("client-cert-auth"); v != "false" || src != "--client-cert-auth=false" {
		t.Errorf("client-cert-auth = %q from %q", v, src)
	}
	if !etcd.Bool("peer-auto-tls", false) {
		t.Error("ETCD_PEER_AUTO_TLS=true not read")
	}
	if _, _, ok := etcd.Setting("peer-cert-file"); ok {
		t.Error("unset setting found")
	}

	kubelets := KubeletsAnalysis.Build(inv)
	if len(kubelets) != 3 {
		t.Fatalf("%d kubelets, want 3 (two processes, one lone config)", len(kubelets))
	}
	paired, missing, alone := kubelets[0], kubelets[1], kubelets[2]
	if paired.Config == nil || paired.ConfigPath != "kubelet/config.yaml" {
		t.Fatalf("relative --config not paired through the working directory: %+v", paired)
	}
	for _, tc := range []struct {
		k                          *Configured
		flag, field, fdef, cdef    string
		want, wantSource, wantPath string
		ok                         bool
	}{
		// The flag wins over the file.
		{paired, "read-only-port", "readOnlyPort", "10255", "0", "10255", "--read-only-port=10255", "spec.command", true},
		{paired, "anonymous-auth", "authentication.anonymous.enabled", "true", "false", "true", "authentication.anonymous.enabled: true in /var/lib/kubelet/config.yaml", "authentication.anonymous.enabled", true},
		// Unset in the file: the file's default, not the flag's.
		{paired, "authorization-mode", "authorization.mode", "AlwaysAllow", "Webhook", "Webhook", "authorization.mode unset in /var/lib/kubelet/config.yaml, default Webhook", "authorization.mode", true},
		{paired, "tls-cipher-suites", "tlsCipherSuites", "", "", "A,B", "tlsCipherSuites: A,B in /var/lib/kubelet/config.yaml", "tlsCipherSuites", true},
		// The file named by --config is not among the inputs.
		{missing, "anonymous-auth", "authentication.anonymous.enabled", "true", "false", "false", "--anonymous-auth=false", "spec.command", true},
		{missing, "read-only-port", "readOnlyPort", "10255", "0", "", "", "", false},
		// A file alone: its defaults.
		{alone, "read-only-port", "readOnlyPort", "10255", "0", "10255", "readOnlyPort: 10255", "readOnlyPort", true},
		{alone, "anonymous-auth", "authentication.anonymous.enabled", "true", "false", "false", "authentication.anonymous.enabled unset, default false", "authentication.anonymous.enabled", true},
	} {
		s, ok := tc.k.Setting(tc.flag, tc.field, tc.fdef, tc.cdef)
		if ok != tc.ok || s.Value != tc.want || s.Source != tc.wantSource || s.Field != tc.wantPath {
			t.Errorf("%s: got %q from %q at %q (ok %v); want %q from %q at %q (ok %v)", tc.flag, s.Value, s.Source, s.Field, ok, tc.want, tc.wantSource, tc.wantPath, tc.ok)
		}
	}

	files := inv.ByKind(NodeFileKind.Group, NodeFileKind.Kind)
	if len(files) != 1 {
		t.Fatalf("%d NodeFiles", len(files))
	}
	f, ok := ParseNodeFile(files[0])
	if !ok || f.Spec.Type != FileKubeconfig || f.Status.GID != 4 || f.Status.Group != "adm" || !slices.Equal(f.Spec.Roles, []string{RoleAdminKubeconfig}) {
		t.Fatalf("NodeFile: %+v", f)
	}
	if m, err := f.Status.Perm(); err != nil || m != 0o640 || FormatMode(m) != "0640" {
		t.Errorf("mode %v %v", m, err)
	}
	for _, bad := range []string{"", "644x", "99", "17777"} {
		if _, err := (NodeFileStatus{Mode: bad}).Perm(); err == nil {
			t.Errorf("mode %q accepted", bad)
		}
	}
}
