package controlplane

import (
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/tlsutil"
)

func kubeletConfigInsecure() *rules.Rule {
	return &rules.Rule{
		ID:       "kubelet-config-insecure",
		Category: finding.CategoryExposure,
		Severity: finding.SeverityHigh,
		Title:    "Kubelet configuration exposes the node",
		Rationale: "The kubelet API runs commands in any pod of the node and reads their logs and secrets. " +
			"Anonymous access or AlwaysAllow authorization hands that to anyone who reaches port 10250; the " +
			"read-only port serves pod specs without any authentication. Without protectKernelDefaults the " +
			"kubelet silently adjusts kernel settings it should insist on, and without certificate rotation " +
			"the kubelet's client certificate expires or lives too long.",
		Remediation: "In the KubeletConfiguration set authentication.anonymous.enabled: false, authorization.mode: " +
			"Webhook, readOnlyPort: 0, protectKernelDefaults: true and rotateCertificates: true (and, if set, " +
			"tlsMinVersion VersionTLS12 or later and only AEAD cipher suites), then restart the kubelet.",
		References: finding.References{
			CIS: []string{"4.2.1", "4.2.2", "4.2.4"},
			URLs: []string{
				"https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/",
				"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
			},
		},
		Kinds: []schema.GroupKind{controlplane.KubeletConfigKind},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			c, ok := controlplane.ParseKubeletConfig(obj)
			if !ok {
				return
			}
			if c.Anonymous() {
				p.Report(obj, "authentication.anonymous.enabled", "authentication.anonymous.enabled is true: the kubelet API serves anonymous requests")
			}
			if c.Authorization() == "AlwaysAllow" {
				p.Report(obj, "authorization.mode", "authorization.mode is AlwaysAllow: every caller of the kubelet API is authorized")
			}
			if port := c.ReadOnly(); port != 0 {
				p.Reportf(obj, "readOnlyPort", "readOnlyPort is %d: the kubelet serves an unauthenticated read-only API", port)
			}
			if !c.ProtectsKernelDefaults() {
				p.Report(obj, "protectKernelDefaults", unsetOr(c.ProtectKernelDefaults == nil, "protectKernelDefaults")+": the kubelet changes kernel settings instead of failing")
			}
			if !c.RotatesCertificates() {
				p.Report(obj, "rotateCertificates", unsetOr(c.RotateCertificates == nil, "rotateCertificates")+": the kubelet's client certificate is not rotated")
			}
			if v := c.TLSMinVersion; v == "VersionTLS10" || v == "VersionTLS11" {
				p.Reportf(obj, "tlsMinVersion", "tlsMinVersion is %s: the kubelet API accepts TLS versions with practical attacks", v)
			}
			if weak := tlsutil.Insecure(c.TLSCipherSuites); len(weak) > 0 {
				p.Reportf(obj, "tlsCipherSuites", "tlsCipherSuites offers insecure suites: %s", strings.Join(weak, ", "))
			}
		},
	}
}

// unsetOr describes a boolean field that is false, saying whether it is
// explicitly false or left to its default.
func unsetOr(unset bool, field string) string {
	if unset {
		return field + " is unset (default false)"
	}
	return field + " is false"
}
