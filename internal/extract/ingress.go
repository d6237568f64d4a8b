package extract

import (
	"encoding/json"
	"fmt"

	extv1beta1 "k8s.io/api/extensions/v1beta1"
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1beta1 "k8s.io/api/networking/v1beta1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kguard/kguard/internal/inventory"
)

// IngressRoute is one way into an Ingress: a host and path of a rule, or
// the default backend (Host, Path and PathField empty).
type IngressRoute struct {
	Host, Path, PathField string
	// Service is the backend Service's name, "" for a resource backend;
	// ServiceField is the field path of the name.
	Service, ServiceField string
	// Port is the backend's Service port, by number or by name.
	Port intstr.IntOrString
}

// OnHost renders the route's host for a message: `host "a.example.com"`,
// or "any host".
func (r IngressRoute) OnHost() string {
	if r.Host == "" {
		return "any host"
	}
	return fmt.Sprintf("host %q", r.Host)
}

// IngressRoutes lists the routes of an Ingress of any API version
// (networking.k8s.io/v1 and v1beta1, extensions/v1beta1), the default
// backend first; false when obj is not a typed Ingress.
func IngressRoutes(obj *inventory.Object) ([]IngressRoute, bool) {
	switch ing := obj.Typed.(type) {
	case *networkingv1.Ingress:
		return v1Routes(&ing.Spec), true
	case *networkingv1beta1.Ingress:
		return betaRoutes(&ing.Spec), true
	case *extv1beta1.Ingress:
		// The same spec as networking.k8s.io/v1beta1, field for field, in
		// another Go package: read it as that.
		var spec networkingv1beta1.IngressSpec
		b, err := json.Marshal(&ing.Spec)
		if err != nil || json.Unmarshal(b, &spec) != nil {
			return nil, false
		}
		return betaRoutes(&spec), true
	}
	return nil, false
}

func v1Routes(spec *networkingv1.IngressSpec) []IngressRoute {
	var out []IngressRoute
	if b := spec.DefaultBackend; b != nil && b.Service != nil {
		out = append(out, v1Backend(IngressRoute{}, b, "spec.defaultBackend.service.name"))
	}
	for i, r := range spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j := range r.HTTP.Paths {
			p := &r.HTTP.Paths[j]
			base := fmt.Sprintf("spec.rules[%d].http.paths[%d]", i, j)
			rt := IngressRoute{Host: r.Host, Path: p.Path, PathField: base + ".path"}
			out = append(out, v1Backend(rt, &p.Backend, base+".backend.service.name"))
		}
	}
	return out
}

// v1Backend completes rt with a v1 backend; a resource backend leaves the
// Service empty.
func v1Backend(rt IngressRoute, b *networkingv1.IngressBackend, field string) IngressRoute {
	if b.Service == nil {
		return rt
	}
	rt.Service, rt.ServiceField = b.Service.Name, field
	if b.Service.Port.Name != "" {
		rt.Port = intstr.FromString(b.Service.Port.Name)
	} else {
		rt.Port = intstr.FromInt32(b.Service.Port.Number)
	}
	return rt
}

func betaRoutes(spec *networkingv1beta1.IngressSpec) []IngressRoute {
	var out []IngressRoute
	if b := spec.Backend; b != nil && b.ServiceName != "" {
		out = append(out, IngressRoute{Service: b.ServiceName, ServiceField: "spec.backend.serviceName", Port: b.ServicePort})
	}
	for i, r := range spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j, p := range r.HTTP.Paths {
			base := fmt.Sprintf("spec.rules[%d].http.paths[%d]", i, j)
			out = append(out, IngressRoute{Host: r.Host, Path: p.Path, PathField: base + ".path",
				Service: p.Backend.ServiceName, ServiceField: base + ".backend.serviceName", Port: p.Backend.ServicePort})
		}
	}
	return out
}
