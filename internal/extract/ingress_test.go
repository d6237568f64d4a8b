package extract

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/inventory"
)

// The same Ingress in each API version: a default backend, a rule with a
// Service backend by port number and one by port name, and (v1 only, the
// beta APIs cannot say it) a resource backend.
const ingresses = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: v1}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}
      - {path: /admin, pathType: Prefix, backend: {service: {name: admin, port: {name: http}}}}
      - {path: /static, pathType: Prefix, backend: {resource: {apiGroup: example.com, kind: Bucket, name: b}}}
---
apiVersion: networking.k8s.io/v1beta1
kind: Ingress
metadata: {name: v1beta1}
spec:
  backend: {serviceName: web, servicePort: 80}
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, backend: {serviceName: web, servicePort: 8080}}
      - {path: /admin, backend: {serviceName: admin, servicePort: http}}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: ext}
spec:
  backend: {serviceName: web, servicePort: 80}
  rules:
  - host: a.example.com
    http:
      paths:
      - {path: /, backend: {serviceName: web, servicePort: 8080}}
      - {path: /admin, backend: {serviceName: admin, servicePort: http}}
---
apiVersion: v1
kind: Service
metadata: {name: not-an-ingress}
spec: {ports: [{port: 80}]}
`

func TestIngressRoutes(t *testing.T) {
	objs, errs := inventory.DecodeFile("i.yaml", []byte(ingresses))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	beta := []string{
		`web spec.backend.serviceName 80`,
		`a.example.com / spec.rules[0].http.paths[0].path web spec.rules[0].http.paths[0].backend.serviceName 8080`,
		`a.example.com /admin spec.rules[0].http.paths[1].path admin spec.rules[0].http.paths[1].backend.serviceName http`,
	}
	want := map[string][]string{
		"v1": {
			`web spec.defaultBackend.service.name 80`,
			`a.example.com / spec.rules[0].http.paths[0].path web spec.rules[0].http.paths[0].backend.service.name 8080`,
			`a.example.com /admin spec.rules[0].http.paths[1].path admin spec.rules[0].http.paths[1].backend.service.name http`,
			`a.example.com /static spec.rules[0].http.paths[2].path 0`,
		},
		"v1beta1": beta,
		"ext":     beta,
	}
	for _, o := range objs {
		routes, ok := IngressRoutes(o)
		exp, isIngress := want[o.Name]
		if ok != isIngress {
			t.Errorf("%s: ok=%v, want %v", o.Name, ok, isIngress)
			continue
		}
		var got []string
		for _, r := range routes {
			// Empty fields drop out: host, path and path field of a
			// default backend, service and field of a resource backend.
			got = append(got, strings.Join(strings.Fields(fmt.Sprint(r.Host, " ", r.Path, " ", r.PathField, " ",
				r.Service, " ", r.ServiceField, " ", r.Port.String())), " "))
		}
		if !slices.Equal(got, exp) {
			t.Errorf("%s routes:\n%s\nwant:\n%s", o.Name, strings.Join(got, "\n"), strings.Join(exp, "\n"))
		}
	}
}
