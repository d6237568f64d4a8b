package controlplane

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/inventory"
)

// KubeletConfigKind is the group and kind of a kubelet's config file.
var KubeletConfigKind = schema.GroupKind{Group: "kubelet.config.k8s.io", Kind: "KubeletConfiguration"}

// KubeletConfig is the security-relevant part of a KubeletConfiguration
// (kubelet.config.k8s.io/v1beta1). A nil pointer means the field is not set
// in the file; the accessors apply the v1beta1 defaults, which are safer
// than those of the equivalent command-line flags.
type KubeletConfig struct {
	// Object is the configuration file the values were read from.
	Object *inventory.Object

	AnonymousEnabled      *bool   // authentication.anonymous.enabled
	AuthorizationMode     *string // authorization.mode
	ReadOnlyPort          *int64  // readOnlyPort
	ProtectKernelDefaults *bool   // protectKernelDefaults
	RotateCertificates    *bool   // rotateCertificates
	ServerTLSBootstrap    *bool   // serverTLSBootstrap
	TLSMinVersion         string  // tlsMinVersion
	TLSCipherSuites       []string
}

// ParseKubeletConfig reads a KubeletConfiguration object of the inventory;
// ok is false when obj is not one.
func ParseKubeletConfig(obj *inventory.Object) (cfg *KubeletConfig, ok bool) {
	if obj.GroupKind() != KubeletConfigKind {
		return nil, false
	}
	u, ok := obj.Unstructured()
	if !ok {
		return nil, false
	}
	cfg = KubeletConfigFromMap(u.Object)
	cfg.Object = obj
	return cfg, true
}

// KubeletConfigFromMap reads the fields from a decoded KubeletConfiguration.
// Fields of the wrong type are treated as unset.
func KubeletConfigFromMap(m map[string]any) *KubeletConfig {
	c := &KubeletConfig{}
	boolField := func(path ...string) *bool {
		if v, found, err := unstructured.NestedBool(m, path...); found && err == nil {
			return &v
		}
		return nil
	}
	c.AnonymousEnabled = boolField("authentication", "anonymous", "enabled")
	if v, found, err := unstructured.NestedString(m, "authorization", "mode"); found && err == nil {
		c.AuthorizationMode = &v
	}
	if v, found, _ := unstructured.NestedFieldNoCopy(m, "readOnlyPort"); found {
		switch n := v.(type) {
		case int64:
			c.ReadOnlyPort = &n
		case int:
			p := int64(n)
			c.ReadOnlyPort = &p
		case float64:
			p := int64(n)
			c.ReadOnlyPort = &p
		}
	}
	c.ProtectKernelDefaults = boolField("protectKernelDefaults")
	c.RotateCertificates = boolField("rotateCertificates")
	c.ServerTLSBootstrap = boolField("serverTLSBootstrap")
	c.TLSMinVersion, _, _ = unstructured.NestedString(m, "tlsMinVersion")
	c.TLSCipherSuites, _, _ = unstructured.NestedStringSlice(m, "tlsCipherSuites")
	return c
}

func kubeletBoolOr(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

// Anonymous reports whether anonymous requests to the kubelet's API are
// allowed (v1beta1 default: false).
func (c *KubeletConfig) Anonymous() bool { return kubeletBoolOr(c.AnonymousEnabled, false) }

// Authorization returns the authorization mode (v1beta1 default: Webhook).
func (c *KubeletConfig) Authorization() string {
	if c.AuthorizationMode == nil || *c.AuthorizationMode == "" {
		return "Webhook"
	}
	return *c.AuthorizationMode
}

// ReadOnly returns the read-only port (v1beta1 default: 0, disabled).
func (c *KubeletConfig) ReadOnly() int64 {
	if c.ReadOnlyPort == nil {
		return 0
	}
	return *c.ReadOnlyPort
}

// ProtectsKernelDefaults reports protectKernelDefaults (default false).
func (c *KubeletConfig) ProtectsKernelDefaults() bool {
	return kubeletBoolOr(c.ProtectKernelDefaults, false)
}

// RotatesCertificates reports rotateCertificates (default false).
func (c *KubeletConfig) RotatesCertificates() bool { return kubeletBoolOr(c.RotateCertificates, false) }

// BootstrapsServingCert reports serverTLSBootstrap (default false).
func (c *KubeletConfig) BootstrapsServingCert() bool {
	return kubeletBoolOr(c.ServerTLSBootstrap, false)
}
