package isolation

import (
	"sort"
	"strconv"

	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// nsUsage is what the quota rule learns about one namespace.
type nsUsage struct {
	first      *inventory.Object // first workload in load order
	workloads  int
	quota      bool
	limitRange bool
}

func missingResourceLimits() *rules.Rule {
	return &rules.Rule{
		ID:       "namespace-without-resource-limits",
		Category: finding.CategoryIsolation,
		Severity: finding.SeverityMedium,
		Title:    "Namespace runs workloads without a ResourceQuota or LimitRange",
		Rationale: "Without a ResourceQuota a namespace can take the whole cluster's CPU, memory, pods or volumes, " +
			"by accident or on purpose (a cryptominer, a fork bomb, a runaway job), starving every other tenant; " +
			"without a LimitRange its containers get no default requests and limits. Each is a noisy-neighbour and " +
			"denial-of-service boundary between namespaces. Control-plane static pods (kube-apiserver, " +
			"kube-controller-manager, kube-scheduler, etcd in kube-system) are not counted as workloads: the " +
			"kubelet runs them from files on the node, outside any quota, and the control-plane rules judge them " +
			"(see control-plane-static-pod).",
		Remediation: "Give every application namespace a ResourceQuota (requests.cpu, requests.memory, limits.*, pods, " +
			"count/*) and a LimitRange with default requests and limits for containers.",
		References: finding.References{
			NSA:   []string{"Pod security: resource policies (LimitRange, ResourceQuota)"},
			MITRE: []string{"T1496", "T1499"},
			URLs: []string{
				"https://kubernetes.io/docs/concepts/policy/resource-quotas/",
				"https://kubernetes.io/docs/concepts/policy/limit-range/",
			},
		},
		CheckInventory: checkResourceLimits,
	}
}

// checkResourceLimits reports once per namespace that holds workloads but
// lacks a ResourceQuota, a LimitRange or both among the scanned objects.
// The finding is attached to the Namespace object when it was scanned (the
// place to fix it), else to the namespace's first workload in load order, so
// that it always has a file and line. Workloads without a namespace are not
// counted: where they land depends on the deploying context. Nor are
// control-plane static pods: a quota does not apply to what the kubelet
// runs from its manifest directory.
func checkResourceLimits(p *rules.Pass) {
	inv := p.Inventory()
	usage := map[string]*nsUsage{}
	get := func(ns string) *nsUsage {
		u := usage[ns]
		if u == nil {
			u = &nsUsage{}
			usage[ns] = u
		}
		return u
	}
	for _, o := range inv.Objects() {
		if o.Namespace == "" {
			continue
		}
		if _, static := controlplane.StaticPod(o); static {
			continue
		}
		if _, ok := extract.PodSpec(o); ok {
			u := get(o.Namespace)
			if u.first == nil {
				u.first = o
			}
			u.workloads++
		}
	}
	for _, o := range inv.ByKind("", "ResourceQuota") {
		if u := usage[o.Namespace]; u != nil {
			u.quota = true
		}
	}
	for _, o := range inv.ByKind("", "LimitRange") {
		if u := usage[o.Namespace]; u != nil {
			u.limitRange = true
		}
	}
	names := make([]string, 0, len(usage))
	for ns := range usage {
		names = append(names, ns)
	}
	sort.Strings(names)
	for _, ns := range names {
		u := usage[ns]
		if u.quota && u.limitRange {
			continue
		}
		target := u.first
		if nsObj, ok := inv.Get("", "Namespace", "", ns); ok {
			target = nsObj
		}
		switch {
		case !u.quota && !u.limitRange:
			p.Reportf(target, "", "namespace %q has %s but no ResourceQuota and no LimitRange among the scanned objects", ns, plural(u.workloads))
		case !u.quota:
			p.ReportSeverity(target, finding.SeverityLow, "", "namespace "+quote(ns)+" has "+plural(u.workloads)+" and a LimitRange but no ResourceQuota among the scanned objects")
		default:
			p.ReportSeverity(target, finding.SeverityLow, "", "namespace "+quote(ns)+" has "+plural(u.workloads)+" and a ResourceQuota but no LimitRange among the scanned objects")
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return "1 workload"
	}
	return strconv.Itoa(n) + " workloads"
}

func quote(s string) string { return strconv.Quote(s) }
