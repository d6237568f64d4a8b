package controlplane

import (
	"slices"
	"testing"
)

func TestParseKubeletConfig(t *testing.T) {
	inv := load(t, "testdata/kubeadm-components.yaml")
	objs := inv.ByKind(KubeletConfigKind.Group, KubeletConfigKind.Kind)
	if len(objs) != 1 {
		t.Fatalf("%d kubelet configs loaded, want 1", len(objs))
	}
	c, ok := ParseKubeletConfig(objs[0])
	if !ok {
		t.Fatal("KubeletConfiguration not recognised")
	}
	if !c.Anonymous() || c.Authorization() != "AlwaysAllow" || c.ReadOnly() != 10255 {
		t.Errorf("anonymous %v, mode %q, read-only port %d", c.Anonymous(), c.Authorization(), c.ReadOnly())
	}
	if c.ProtectKernelDefaults != nil || c.ProtectsKernelDefaults() {
		t.Error("protectKernelDefaults is unset and defaults to false")
	}
	if !c.RotatesCertificates() || c.BootstrapsServingCert() {
		t.Error("rotateCertificates/serverTLSBootstrap misread")
	}
	if c.TLSMinVersion != "VersionTLS12" || !slices.Equal(c.TLSCipherSuites, []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}) {
		t.Errorf("TLS settings %q %v", c.TLSMinVersion, c.TLSCipherSuites)
	}
	for _, o := range inv.ByKind("", "Pod") {
		if _, ok := ParseKubeletConfig(o); ok {
			t.Errorf("pod %s taken for a kubelet config", o.Name)
		}
	}
}

func TestKubeletConfigDefaults(t *testing.T) {
	c := KubeletConfigFromMap(map[string]any{"readOnlyPort": "not a number"})
	if c.Anonymous() || c.Authorization() != "Webhook" || c.ReadOnly() != 0 || c.ProtectsKernelDefaults() || c.RotatesCertificates() {
		t.Errorf("v1beta1 defaults not applied: %+v", c)
	}
	if c := KubeletConfigFromMap(map[string]any{"readOnlyPort": float64(10255)}); c.ReadOnly() != 10255 {
		t.Errorf("JSON number read as %d", c.ReadOnly())
	}
}
