package controlplane

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/analysis"
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

	// raw is the decoded file, for Field.
	raw map[string]any
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
	c := &KubeletConfig{raw: m}
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

// KubeProxyConfigKind is the group and kind of kube-proxy's config file.
var KubeProxyConfigKind = schema.GroupKind{Group: "kubeproxy.config.k8s.io", Kind: "KubeProxyConfiguration"}

// Configured is one kubelet or kube-proxy as the inventory shows it: its
// process (a NodeProcess: flags), the configuration file its --config
// names, or a configuration file alone (manifests in a repository).
type Configured struct {
	// Process is nil when only a configuration file is known.
	Process *Component
	// Config is nil when the process has no --config, or when the file it
	// names is not among the inputs (then ConfigMissing is true).
	Config *inventory.Object
	// ConfigPath is the process's --config, "" without one.
	ConfigPath    string
	ConfigMissing bool

	raw map[string]any
}

// KubeletsAnalysis gives rules the kubelets of the scanned inventory.
var KubeletsAnalysis = &analysis.Analysis[[]*Configured]{Name: "controlplane.kubelets", Build: func(inv *inventory.Inventory) []*Configured {
	return configured(inv, ComponentKubelet, KubeletConfigKind)
}}

// KubeProxiesAnalysis gives rules the kube-proxies of the scanned inventory.
var KubeProxiesAnalysis = &analysis.Analysis[[]*Configured]{Name: "controlplane.kube-proxies", Build: func(inv *inventory.Inventory) []*Configured {
	return configured(inv, ComponentProxy, KubeProxyConfigKind)
}}

// configured pairs each process of a component with the configuration
// object whose AnnotationPath is the process's --config; a configuration
// no process names stands alone.
func configured(inv *inventory.Inventory, component string, kind schema.GroupKind) []*Configured {
	configs := inv.ByKind(kind.Group, kind.Kind)
	used := make([]bool, len(configs))
	var out []*Configured
	for _, c := range allComponents(inv) {
		if c.Name != component {
			continue
		}
		k := &Configured{Process: c}
		if p, ok := c.Value("config"); ok && p != "" {
			k.ConfigPath = p
			k.ConfigMissing = true
			for i, cfg := range configs {
				if cfg.Annotation(AnnotationPath) == absPath(c, p) {
					k.setConfig(cfg)
					used[i] = true
					break
				}
			}
		}
		out = append(out, k)
	}
	for i, cfg := range configs {
		if !used[i] {
			k := &Configured{}
			k.setConfig(cfg)
			out = append(out, k)
		}
	}
	return out
}

func (k *Configured) setConfig(obj *inventory.Object) {
	k.Config, k.ConfigMissing = obj, false
	if u, ok := obj.Unstructured(); ok {
		k.raw = u.Object
	}
}

// absPath resolves a path from a process's command line against its
// working directory, as the process does.
func absPath(c *Component, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	wd := "/"
	if np, ok := ParseNodeProcess(c.Object); ok && np.Spec.WorkingDir != "" {
		wd = np.Spec.WorkingDir
	}
	return path.Join(wd, p)
}

// Setting is the value one setting of a kubelet or kube-proxy takes and
// where it comes from: its flag, its configuration file field, or the
// default that applies (flag defaults differ from configuration file
// defaults, and a process started with --config takes the file's).
type Setting struct {
	Value string
	// Default is true when neither the flag nor the file sets it.
	Default bool
	// Object and Field locate the setting for a finding: the process's
	// command line for a flag (or a default without a file), the
	// configuration field otherwise.
	Object *inventory.Object
	Field  string
	// Source says where the value came from, for messages:
	// "--read-only-port=10255", "readOnlyPort: 10255 in /var/lib/kubelet/config.yaml",
	// "readOnlyPort unset, default 0".
	Source string
}

// Setting resolves one setting: flag is its command-line flag ("" when it
// has none), field its path in the configuration file, flagDefault and
// configDefault the values that apply when neither sets it. ok is false
// when it cannot be decided: the process names a --config that is not
// among the inputs and the flag is not set.
func (k *Configured) Setting(flag, field, flagDefault, configDefault string) (s Setting, ok bool) {
	if k.Process != nil && flag != "" {
		if v, ok := k.Process.Value(flag); ok {
			return Setting{Value: v, Object: k.Process.Object, Field: k.Process.Field, Source: "--" + flag + "=" + v}, true
		}
	}
	if k.ConfigMissing {
		return Setting{}, false
	}
	if k.Config != nil {
		where := ""
		if p := k.Config.Annotation(AnnotationPath); p != "" {
			where = " in " + p
		}
		if v, ok := configField(k.raw, field); ok {
			return Setting{Value: v, Object: k.Config, Field: field, Source: field + ": " + v + where}, true
		}
		return Setting{Value: configDefault, Default: true, Object: k.Config, Field: field,
			Source: field + " unset" + where + defaultText(configDefault)}, true
	}
	if flag == "" || k.Process == nil {
		return Setting{}, false
	}
	return Setting{Value: flagDefault, Default: true, Object: k.Process.Object, Field: k.Process.Field,
		Source: "--" + flag + " unset" + defaultText(flagDefault)}, true
}

func defaultText(v string) string {
	if v == "" {
		return ""
	}
	return ", default " + v
}

// Field returns a configuration field of the kubelet's file (see
// Configured.Setting for the rendering).
func (c *KubeletConfig) Field(field string) (string, bool) { return configField(c.raw, field) }

// configField returns a field of a decoded configuration file (a dotted
// path such as "authentication.anonymous.enabled") rendered as text:
// booleans as true/false, numbers in decimal, lists joined by commas. ok
// is false when the field is not set.
func configField(m map[string]any, field string) (string, bool) {
	v, found, err := unstructured.NestedFieldNoCopy(m, strings.Split(field, ".")...)
	if !found || err != nil || v == nil {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			parts = append(parts, fmt.Sprint(e))
		}
		return strings.Join(parts, ","), true
	}
	return fmt.Sprint(v), true
}
