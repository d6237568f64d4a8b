package exposure

import (
	"fmt"
	"strings"

	extv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// ingressKinds is the Kinds value of the rules that look at Ingresses: the
// current API and the beta ones old manifests still use.
var ingressKinds = []schema.GroupKind{
	{Group: "networking.k8s.io", Kind: "Ingress"},
	{Group: "extensions", Kind: "Ingress"},
}

// route is one way into an Ingress: a host and path of a rule, or the
// default backend (path "" and host ""). service is the backend Service's
// name ("" for a resource backend) and serviceField its field path.
type route struct {
	host, path, pathField string
	service, serviceField string
}

// onHost renders the route's host for a message: `host "a.example.com"`,
// or "any host".
func (r route) onHost() string {
	if r.host == "" {
		return "any host"
	}
	return fmt.Sprintf("host %q", r.host)
}

// ingressRoutes lists the routes of an Ingress of any API version, the
// default backend first.
func ingressRoutes(obj *inventory.Object) ([]route, bool) {
	var out []route
	switch ing := obj.Typed.(type) {
	case *networkingv1.Ingress:
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
			out = append(out, route{service: b.Service.Name, serviceField: "spec.defaultBackend.service.name"})
		}
		for i, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j, pth := range r.HTTP.Paths {
				base := fmt.Sprintf("spec.rules[%d].http.paths[%d]", i, j)
				rt := route{host: r.Host, path: pth.Path, pathField: base + ".path"}
				if pth.Backend.Service != nil {
					rt.service, rt.serviceField = pth.Backend.Service.Name, base+".backend.service.name"
				}
				out = append(out, rt)
			}
		}
	case *networkingv1beta1.Ingress:
		if b := ing.Spec.Backend; b != nil && b.ServiceName != "" {
			out = append(out, route{service: b.ServiceName, serviceField: "spec.backend.serviceName"})
		}
		for i, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j, pth := range r.HTTP.Paths {
				base := fmt.Sprintf("spec.rules[%d].http.paths[%d]", i, j)
				out = append(out, route{host: r.Host, path: pth.Path, pathField: base + ".path",
					service: pth.Backend.ServiceName, serviceField: base + ".backend.serviceName"})
			}
		}
	case *extv1beta1.Ingress:
		if b := ing.Spec.Backend; b != nil && b.ServiceName != "" {
			out = append(out, route{service: b.ServiceName, serviceField: "spec.backend.serviceName"})
		}
		for i, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j, pth := range r.HTTP.Paths {
				base := fmt.Sprintf("spec.rules[%d].http.paths[%d]", i, j)
				out = append(out, route{host: r.Host, path: pth.Path, pathField: base + ".path",
					service: pth.Backend.ServiceName, serviceField: base + ".backend.serviceName"})
			}
		}
	default:
		return nil, false
	}
	return out, true
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
		Category: rules.CategoryExposure,
		Severity: rules.SeverityHigh,
		Title:    "Ingress publishes an admin or debug path without authentication",
		Rationale: "Admin consoles, Spring Boot actuators, pprof and metrics endpoints are meant for operators: " +
			"they leak configuration, secrets and memory contents, and some change the running application. " +
			"Routed by an Ingress, they are on the internet, and scanners probe these paths first.",
		Remediation: "Remove the path from the Ingress and reach the endpoint with kubectl port-forward or from " +
			"inside the cluster, or put authentication in front of it (the controller's auth-url or auth-type " +
			"annotations, an OAuth proxy) or restrict it to trusted networks " +
			"(nginx.ingress.kubernetes.io/allowlist-source-range). Serve admin and debug endpoints on a port " +
			"that no Service publishes.",
		References: rules.References{
			MITRE: []string{"T1190"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/services-networking/ingress/"},
		},
		Kinds: ingressKinds,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			routes, ok := ingressRoutes(obj)
			if !ok || ingressProtected(obj.Meta.Annotations) {
				return
			}
			for _, r := range routes {
				prefix, ok := sensitivePath(r.path)
				if !ok {
					continue
				}
				backend := "a resource backend"
				if r.service != "" {
					backend = fmt.Sprintf("service %q", r.service)
				}
				p.Reportf(obj, r.pathField,
					"Ingress %q routes path %q (a %s endpoint) on %s to %s without an authentication or source allowlist annotation",
					obj.Name, r.path, prefix, r.onHost(), backend)
			}
		},
	}
}
