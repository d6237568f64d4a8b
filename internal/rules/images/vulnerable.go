package images

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/images/imagevuln"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/rbac"
	"github.com/kguard/kguard/internal/rules"
)

// outsideAddr stands for a client on the internet when asking the network
// model whether outside traffic reaches a pod (TEST-NET-3, never a pod).
var outsideAddr = netip.MustParseAddr("203.0.113.7")

func vulnerable() *rules.Rule {
	return &rules.Rule{
		ID:       "image-vulnerable",
		Category: finding.CategoryImages,
		Severity: finding.SeverityHigh,
		Title:    "Workload runs an image with known vulnerabilities",
		Rationale: "A package with a published vulnerability is the easiest way in: exploits for it are public. " +
			"The risk is highest where the workload is reachable from outside the cluster, runs privileged, " +
			"or holds a token that can read Secrets, so the severity is raised one level for each of those.",
		Remediation: "Rebuild the image on a patched base and upgrade the affected packages to the fixed versions " +
			"shown; where a vulnerability does not apply, record why in .kguard.yaml (images.vulnerabilities.ignore, " +
			"with a reason and an expiry). Reduce the exposure meanwhile: no LoadBalancer/NodePort without a " +
			"NetworkPolicy, no privilege, no Secret access the workload does not need.",
		References: finding.References{
			NSA:   []string{"Pod security: scan container images for vulnerabilities and misconfigurations"},
			MITRE: []string{"T1190", "T1525"},
			URLs:  []string{"https://kubernetes.io/docs/concepts/security/security-checklist/#images"},
		},
		// Reads the image scan results, and other objects for the risk:
		// Services and Ingresses that reach the workload (the network
		// model), and what its service account may do (the RBAC model).
		Requires:      []analysis.Key{imagevuln.Analysis, netpol.ModelAnalysis, rbac.ModelAnalysis, analysis.Objects},
		CheckWorkload: checkVulnerable,
	}
}

func checkVulnerable(p *rules.Pass, w *extract.Workload) {
	res := rules.Use(p, imagevuln.Analysis)
	if res == nil || len(res.Images) == 0 {
		return
	}
	var ctx *riskContext // built once per workload, only when needed
	eachContainer(w, func(c container) {
		img := res.Images[c.Image]
		if img == nil || img.Error != "" || len(img.Vulnerabilities) == 0 {
			return
		}
		if ctx == nil {
			ctx = riskOf(p, w)
		}
		sev := baseSeverity(img.Vulnerabilities[0].Severity)
		for range ctx.reasons {
			if sev < finding.SeverityCritical {
				sev++
			}
		}
		msg := fmt.Sprintf("container %q runs image %q with %s", c.Name, c.Image, summarize(img.Vulnerabilities))
		if len(ctx.reasons) > 0 {
			msg += "; risk raised: " + strings.Join(ctx.reasons, "; ")
		}
		p.ReportSeverity(w.Object, sev, fieldPath(w, c, "image"), msg)
	})
}

// baseSeverity maps the worst vulnerability's rating onto kguard's scale;
// an advisory without a rating counts as low.
func baseSeverity(s string) finding.Severity {
	switch s {
	case "CRITICAL":
		return finding.SeverityCritical
	case "HIGH":
		return finding.SeverityHigh
	case "MEDIUM":
		return finding.SeverityMedium
	}
	return finding.SeverityLow
}

// summarize: "3 known vulnerabilities (1 critical, 2 high; 2 with a fix),
// worst CVE-... in pkg 1.0 (fixed in 1.1)". vs is sorted worst first.
func summarize(vs []imagevuln.Vulnerability) string {
	by := map[string]int{}
	fixable := 0
	for _, v := range vs {
		by[v.Severity]++
		if v.Fixed != "" {
			fixable++
		}
	}
	var parts []string
	for _, s := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"} {
		if by[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", by[s], strings.ToLower(s)))
		}
	}
	noun := "vulnerabilities"
	if len(vs) == 1 {
		noun = "vulnerability"
	}
	worst := vs[0]
	id := worst.ID
	for _, a := range worst.Aliases {
		if strings.HasPrefix(a, "CVE-") {
			id += " (" + a + ")"
			break
		}
	}
	fix := "no fix yet"
	if worst.Fixed != "" {
		fix = "fixed in " + worst.Fixed
	}
	return fmt.Sprintf("%d known %s (%s; %d with a fix), worst %s in %s %s, %s",
		len(vs), noun, strings.Join(parts, ", "), fixable, id, worst.Package, worst.Installed, fix)
}

// riskContext is why a workload's vulnerabilities matter more.
type riskContext struct {
	reasons []string
}

func riskOf(p *rules.Pass, w *extract.Workload) *riskContext {
	rc := &riskContext{}
	if why := exposedBy(p, w); why != "" {
		rc.reasons = append(rc.reasons, "reachable from outside the cluster ("+why+")")
	}
	if why := privileged(w); why != "" {
		rc.reasons = append(rc.reasons, "runs privileged ("+why+")")
	}
	if why := readsSecrets(p, w); why != "" {
		rc.reasons = append(rc.reasons, "can read Secrets ("+why+")")
	}
	return rc
}

func namespace(o *inventory.Object) string {
	if o.Namespace == "" {
		return "default"
	}
	return o.Namespace
}

// privileged names what gives the pod power over its node.
func privileged(w *extract.Workload) string {
	s := w.Spec
	switch {
	case s.HostPID:
		return "hostPID"
	case s.HostNetwork:
		return "hostNetwork"
	case s.HostIPC:
		return "hostIPC"
	}
	for _, c := range w.Containers() {
		sc := c.Container.SecurityContext
		if sc == nil {
			continue
		}
		if sc.Privileged != nil && *sc.Privileged {
			return fmt.Sprintf("container %q is privileged", c.Container.Name)
		}
		if sc.Capabilities != nil {
			for _, cap := range sc.Capabilities.Add {
				if cap == "SYS_ADMIN" || cap == "ALL" || cap == "CAP_SYS_ADMIN" {
					return fmt.Sprintf("container %q adds %s", c.Container.Name, cap)
				}
			}
		}
	}
	return ""
}

// exposedBy names a Service or Ingress that brings outside traffic to the
// workload's pods: a LoadBalancer, NodePort or externalIPs Service that
// selects them and that no NetworkPolicy closes to outside clients (asked
// of the network model), or an Ingress routing to a Service that selects
// them.
func exposedBy(p *rules.Pass, w *extract.Workload) string {
	if w.PodMeta == nil || len(w.PodMeta.Labels) == 0 {
		return ""
	}
	inv := p.Inventory()
	ns := namespace(w.Object)
	podLabels := labels.Set(w.PodMeta.Labels)
	selecting := map[string]*corev1.Service{}
	for _, o := range inv.ByKind("", "Service") {
		svc, ok := o.Typed.(*corev1.Service)
		if !ok || namespace(o) != ns || len(svc.Spec.Selector) == 0 {
			continue
		}
		if labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
			selecting[o.Name] = svc
		}
	}
	model := rules.Use(p, netpol.ModelAnalysis)
	for name, svc := range selecting {
		kind := string(svc.Spec.Type)
		if kind != string(corev1.ServiceTypeLoadBalancer) && kind != string(corev1.ServiceTypeNodePort) && len(svc.Spec.ExternalIPs) == 0 {
			continue
		}
		if len(svc.Spec.ExternalIPs) > 0 && kind == "" {
			kind = "externalIPs"
		}
		if outsideAllowed(model, w, svc) {
			return fmt.Sprintf("Service %s/%s, %s", ns, name, kind)
		}
	}
	for _, o := range inv.ByKind(networkingv1.GroupName, "Ingress") {
		if namespace(o) != ns {
			continue
		}
		routes, _ := extract.IngressRoutes(o)
		for _, r := range routes {
			if selecting[r.Service] != nil {
				return fmt.Sprintf("Ingress %s/%s, %s", ns, o.Name, r.OnHost())
			}
		}
	}
	return ""
}

// outsideAllowed asks the network model whether a client outside the
// cluster may open any of the Service's target ports on the pods.
func outsideAllowed(m *netpol.Model, w *extract.Workload, svc *corev1.Service) bool {
	pod, ok := m.Pod(namespace(w.Object), w.Object.Name)
	if !ok {
		return true
	}
	for _, sp := range svc.Spec.Ports {
		port, proto := targetPort(w, sp), sp.Protocol
		v := m.Check(netpol.Connection{From: netpol.Endpoint{Addr: outsideAddr}, To: netpol.Endpoint{Pod: pod}, Port: port, Protocol: proto})
		if v.Ingress.Allowed() {
			return true
		}
	}
	return false
}

// targetPort resolves a Service port's target on the pod (a named target
// through the containers' ports).
func targetPort(w *extract.Workload, sp corev1.ServicePort) int32 {
	tp := sp.TargetPort
	switch {
	case tp.Type == intstr.Int && tp.IntVal != 0:
		return tp.IntVal
	case tp.Type == intstr.String && tp.StrVal != "":
		for _, c := range w.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name == tp.StrVal {
					return cp.ContainerPort
				}
			}
		}
	}
	return sp.Port
}

// readsSecrets names the service account when its token (mounted unless
// the pod says otherwise) may get or list Secrets in the pod's namespace.
func readsSecrets(p *rules.Pass, w *extract.Workload) string {
	if am := w.Spec.AutomountServiceAccountToken; am != nil && !*am {
		return ""
	}
	sa := w.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	ns := namespace(w.Object)
	m := rules.Use(p, rbac.ModelAnalysis)
	u := rbac.ForServiceAccount(ns, sa)
	for _, verb := range []string{"get", "list", "watch"} {
		if ok, _ := m.Allowed(u, rbac.Request{Verb: verb, Resource: "secrets", Namespace: ns}); ok {
			return fmt.Sprintf("ServiceAccount %s/%s may %s them", ns, sa, verb)
		}
	}
	return ""
}
