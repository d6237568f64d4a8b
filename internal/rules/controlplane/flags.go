package controlplane

import (
	"sort"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rules"
)

func componentUnknownFlag() *rules.Rule {
	return &rules.Rule{
		ID:       "component-flag-unknown",
		Requires: []analysis.Key{controlplane.FactsAnalysis, controlplane.ComponentsAnalysis},
		Category: finding.CategoryPatching,
		Severity: finding.SeverityMedium,
		Title:    "Control-plane component is given a flag its current release does not know",
		Rationale: "kube-apiserver and etcd refuse to start on an unknown flag. A misspelled flag means the " +
			"setting never took effect (a security flag silently missing), and a flag removed in a later " +
			"release (such as --insecure-port, gone since Kubernetes 1.24) breaks the next upgrade.",
		Remediation: "Remove or correct the flag in the static pod manifest, using the component's reference " +
			"for the target release; replace removed flags with their successors before upgrading.",
		References: finding.References{
			URLs: []string{
				"https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/",
				"https://etcd.io/docs/latest/op-guide/configuration/",
			},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range rules.Use(p, controlplane.FactsAnalysis).APIServers {
				reportUnknown(p, "kube-apiserver", a.Object, a.Field, a.Flags)
			}
			for _, c := range rules.Use(p, controlplane.ComponentsAnalysis) {
				if c.Name == controlplane.ComponentEtcd {
					reportUnknown(p, "etcd", c.Object, c.Field, c.Flags)
				}
			}
		},
	}
}

// reportUnknown reports the flags of one component that are not in the
// flag list kguard carries for it (the release its tests run against).
func reportUnknown(p *rules.Pass, component string, pod *inventory.Object, field string, flags map[string][]string) {
	known, ok := controlplane.KnownFlags(component)
	if !ok {
		return
	}
	names := make([]string, 0, len(flags))
	for name := range flags {
		names = append(names, name)
	}
	sort.Strings(names)
	release := ""
	if component == "kube-apiserver" {
		release = " " + k8sversions.Latest.String()
	}
	for _, name := range names {
		if !known[name] {
			p.Reportf(pod, field, "--%s is not a flag of %s%s: misspelled, or removed (the component will not start with it)",
				name, component, release)
		}
	}
}
