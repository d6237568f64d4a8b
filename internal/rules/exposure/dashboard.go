package exposure

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// dashboardNames are the usual names of web UIs that show or control the
// cluster or its data.
var dashboardNames = []string{
	"kubernetes-dashboard", "argocd-server", "grafana", "kibana",
	"prometheus", "alertmanager", "jaeger-query", "kiali",
}

// appLabels are the labels that name the application behind a Service.
var appLabels = []string{"app.kubernetes.io/name", "app", "k8s-app"}

// dashboardName reports whether name is a dashboard's: one of
// dashboardNames, alone or behind a Helm release prefix
// ("monitoring-grafana"), or any name containing "dashboard".
func dashboardName(name string) bool {
	n := strings.ToLower(name)
	if strings.Contains(n, "dashboard") {
		return true
	}
	for _, d := range dashboardNames {
		if n == d || strings.HasSuffix(n, "-"+d) {
			return true
		}
	}
	return false
}

// dashboardSelected tells whether svc fronts a dashboard by its selector
// or labels, and says which in words ("selector app=grafana").
func dashboardSelected(svc *corev1.Service) (why string, ok bool) {
	for _, k := range appLabels {
		if v, ok := svc.Spec.Selector[k]; ok && dashboardName(v) {
			return "selector " + k + "=" + v, true
		}
	}
	for _, k := range appLabels {
		if v, ok := svc.Labels[k]; ok && dashboardName(v) {
			return "label " + k + "=" + v, true
		}
	}
	return "", false
}

func dashboardExposed() *rules.Rule {
	return &rules.Rule{
		ID:       "dashboard-exposed",
		Requires: []analysis.Key{analysis.Objects},
		Category: finding.CategoryExposure,
		Severity: finding.SeverityHigh,
		Title:    "Dashboard is published outside the cluster",
		Rationale: "Dashboards such as the Kubernetes Dashboard, Argo CD, Grafana, Kibana and Prometheus show " +
			"how the cluster is built, often hold credentials for it, and some deploy workloads with broad " +
			"permissions. Published by an Ingress, a NodePort or an open load balancer they are searched for " +
			"and attacked on the internet: an unauthenticated Kubernetes Dashboard is a classic way into a " +
			"cluster.",
		Remediation: "Keep dashboards on ClusterIP Services and reach them with kubectl port-forward or over a " +
			"VPN. If one must be published, put single sign-on in front of it (the Ingress controller's auth " +
			"annotations or an OAuth proxy) or restrict its sources (loadBalancerSourceRanges, an internal load " +
			"balancer, an allowlist annotation), and turn off anonymous access in the dashboard itself.",
		References: finding.References{
			MITRE: []string{"T1133", "T1190"},
			URLs:  []string{"https://kubernetes.io/docs/tasks/access-application-cluster/web-ui-dashboard/"},
		},
		Kinds: slices.Concat(serviceKinds, ingressKinds),
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			if svc, ok := service(obj); ok {
				checkDashboardService(p, obj, svc)
				return
			}
			checkDashboardIngress(p, obj)
		},
	}
}

// checkDashboardService reports a dashboard Service that is reachable from
// outside: a NodePort, or a load balancer that is neither internal nor
// limited by source ranges.
func checkDashboardService(p *rules.Pass, obj *inventory.Object, svc *corev1.Service) {
	var how string
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		how = "type NodePort, on every node"
	case corev1.ServiceTypeLoadBalancer:
		_, open, public := publicLoadBalancer(svc)
		if !public {
			return
		}
		how = "type LoadBalancer, which " + open
	default:
		return
	}
	why := "by its name"
	if !dashboardName(obj.Name) {
		var ok bool
		if why, ok = dashboardSelected(svc); !ok {
			return
		}
	}
	p.Reportf(obj, "spec.type", "Service %q publishes a dashboard (%s) on ports %s through %s",
		obj.Name, why, servicePorts(svc), how)
}

// checkDashboardIngress reports an Ingress that routes to dashboard
// Services, once, naming each such Service with its first route. Backends
// are recognised by name, or by the selector and labels of the Service
// when it is in the inventory.
func checkDashboardIngress(p *rules.Pass, obj *inventory.Object) {
	routes, ok := extract.IngressRoutes(obj)
	if !ok || ingressProtected(obj.Meta.Annotations) {
		return
	}
	var found []string
	var seen []string
	field := ""
	for _, r := range routes {
		if r.Service == "" || slices.Contains(seen, r.Service) {
			continue
		}
		seen = append(seen, r.Service)
		name := fmt.Sprintf("service %q", r.Service)
		if !dashboardName(r.Service) {
			o, ok := p.Inventory().Get("", "Service", obj.Namespace, r.Service)
			if !ok {
				continue
			}
			svc, ok := service(o)
			if !ok {
				continue
			}
			why, ok := dashboardSelected(svc)
			if !ok {
				continue
			}
			name += " (" + why + ")"
		}
		via := "the default backend"
		if r.PathField != "" {
			via = fmt.Sprintf("path %q on %s", r.Path, r.OnHost())
		}
		found = append(found, name+" at "+via)
		if field == "" {
			field = r.ServiceField
		}
	}
	if len(found) > 0 {
		p.Reportf(obj, field, "Ingress %q publishes a dashboard: %s", obj.Name, strings.Join(found, "; "))
	}
}
