package exposure

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// ingressKinds is the Kinds value of the rules that look at Ingresses: the
// current API and the beta ones old manifests still use.
var ingressKinds = []schema.GroupKind{
	{Group: "networking.k8s.io", Kind: "Ingress"},
	{Group: "extensions", Kind: "Ingress"},
}

// authSuffixes end the annotation keys with which Ingress controllers put
// authentication in front of the backends (ingress-nginx auth-url and
// auth-type, for example).
var authSuffixes = []string{"/auth-url", "/auth-type", "/auth-signin"}

// allowlistAnnotations limit an ingress-nginx Ingress to source ranges.
var allowlistAnnotations = []string{
	"nginx.ingress.kubernetes.io/whitelist-source-range",
	"nginx.ingress.kubernetes.io/allowlist-source-range",
}

// ingressProtected reports whether an Ingress's annotations put
// authentication or a source allowlist in front of its backends.
func ingressProtected(annotations map[string]string) bool {
	for k := range annotations {
		for _, s := range authSuffixes {
			if strings.HasSuffix(k, s) {
				return true
			}
		}
		for _, a := range allowlistAnnotations {
			if k == a {
				return true
			}
		}
	}
	return false
}

// sensitivePrefixes start the paths of admin, management and debug
// endpoints (Spring Boot actuators, Go pprof, metrics, admin consoles).
var sensitivePrefixes = []string{"/admin", "/actuator", "/debug/pprof", "/metrics", "/console", "/manage"}

// sensitivePath returns the sensitive prefix path starts with, in any case.
func sensitivePath(path string) (string, bool) {
	lower := strings.ToLower(path)
	for _, s := range sensitivePrefixes {
		if strings.HasPrefix(lower, s) {
			return s, true
		}
	}
	return "", false
}

func ingressSensitivePath() *rules.Rule {
	return &rules.Rule{
		ID:       "ingress-sensitive-path",
		Category: finding.CategoryExposure,
		Severity: finding.SeverityHigh,
		Title:    "Ingress publishes an admin or debug path without authentication",
		Rationale: "Admin consoles, Spring Boot actuators, pprof and metrics endpoints are meant for operators: " +
			"they leak configuration, secrets and memory contents, and some change the running application. " +
			"Routed by an Ingress, they are on the internet, and scanners probe these paths first.",
		Remediation: "Remove the path from the Ingress and reach the endpoint with kubectl port-forward or from " +
			"inside the cluster, or put authentication in front of it (the controller's auth-url or auth-type " +
			"annotations, an OAuth proxy) or restrict it to trusted networks " +
			"(nginx.ingress.kubernetes.io/allowlist-source-range). Serve admin and debug endpoints on a port " +
			"that no Service publishes.",
		References: finding.References{
			MITRE: []string{"T1190"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/services-networking/ingress/"},
		},
		Kinds: ingressKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			routes, ok := extract.IngressRoutes(obj)
			if !ok || ingressProtected(obj.Meta.Annotations) {
				return
			}
			for _, r := range routes {
				prefix, ok := sensitivePath(r.Path)
				if !ok {
					continue
				}
				backend := "a resource backend"
				if r.Service != "" {
					backend = fmt.Sprintf("service %q", r.Service)
				}
				p.Reportf(obj, r.PathField,
					"Ingress %q routes path %q (a %s endpoint) on %s to %s without an authentication or source allowlist annotation",
					obj.Name, r.Path, prefix, r.OnHost(), backend)
			}
		},
	}
}
