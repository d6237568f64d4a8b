package controlplane

import (
	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func apiServerProfiling() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-profiling",
		Requires: []analysis.Key{controlplane.FactsAnalysis, controlplane.ComponentsAnalysis},
		Category: finding.CategoryExposure,
		Severity: finding.SeverityLow,
		Title:    "Control-plane component exposes profiling endpoints",
		Rationale: "The /debug/pprof endpoints reveal program internals and let callers trigger expensive " +
			"profiles; they are on by default in kube-apiserver, kube-controller-manager and kube-scheduler " +
			"and are only needed while debugging.",
		Remediation: "Start kube-apiserver, kube-controller-manager and kube-scheduler with --profiling=false.",
		References: finding.References{
			CIS:  []string{"1.3.2", "1.4.1"},
			URLs: []string{apiServerFlagsURL, cmFlagsURL, schedulerFlagsURL},
		},
		CheckInventory: func(p *rules.Pass) {
			report := func(obj *inventory.Object, field, name string, set bool, enabled bool) {
				switch {
				case !set:
					p.Reportf(obj, field, "%s has profiling enabled (--profiling is unset; the default is true)", name)
				case enabled:
					p.Reportf(obj, field, "%s has profiling enabled (--profiling=true)", name)
				}
			}
			for _, a := range apiServers(p) {
				_, set := a.Value("profiling")
				report(a.Pod, apiField(a), "kube-apiserver", set, a.Bool("profiling", true))
			}
			for _, name := range []string{controlplane.ComponentControllerManager, controlplane.ComponentScheduler} {
				for _, c := range components(p, name) {
					_, set := c.Value("profiling")
					report(c.Pod, compField(c), c.Name, set, c.Bool("profiling", true))
				}
			}
		},
	}
}

func componentBindAllInterfaces() *rules.Rule {
	return &rules.Rule{
		ID:       "component-bind-all-interfaces",
		Requires: []analysis.Key{controlplane.ComponentsAnalysis},
		Category: finding.CategoryExposure,
		Severity: finding.SeverityMedium,
		Title:    "Controller manager or scheduler listens on all interfaces",
		Rationale: "kube-controller-manager and kube-scheduler serve health, metrics and (unless disabled) " +
			"profiling endpoints. They only need to be reached from the node itself; listening on 0.0.0.0, the " +
			"default, exposes them to the whole node network.",
		Remediation: "Start kube-controller-manager and kube-scheduler with --bind-address=127.0.0.1 (as kubeadm does).",
		References: finding.References{
			CIS:  []string{"1.3.7", "1.4.2"},
			URLs: []string{cmFlagsURL, schedulerFlagsURL},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, name := range []string{controlplane.ComponentControllerManager, controlplane.ComponentScheduler} {
				for _, c := range components(p, name) {
					v, set := c.Value("bind-address")
					switch {
					case !set || v == "":
						p.Reportf(c.Pod, compField(c), "%s listens on all interfaces (--bind-address is unset; the default is 0.0.0.0)", c.Name)
					case v == "0.0.0.0" || v == "::":
						p.Reportf(c.Pod, compField(c), "%s listens on all interfaces (--bind-address=%s)", c.Name, v)
					}
				}
			}
		},
	}
}

func etcdTLS() *rules.Rule {
	return &rules.Rule{
		ID:       "etcd-tls",
		Requires: []analysis.Key{controlplane.ComponentsAnalysis},
		Category: finding.CategoryTLS,
		Severity: finding.SeverityHigh,
		Title:    "etcd does not require TLS with client certificates",
		Rationale: "etcd holds every object of the cluster, Secrets included. Without TLS and client-certificate " +
			"authentication, anyone who reaches its port reads or rewrites the cluster state; self-signed " +
			"automatic certificates (auto-tls) encrypt but authenticate no one.",
		Remediation: "Start etcd with --cert-file, --key-file and --client-cert-auth=true (and --trusted-ca-file), " +
			"--peer-client-cert-auth=true with peer certificates, and without --auto-tls or --peer-auto-tls.",
		References: finding.References{
			CIS:  []string{"2.1", "2.2", "2.3", "2.5", "2.6"},
			URLs: []string{"https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-etcd-clusters"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, c := range components(p, controlplane.ComponentEtcd) {
				field := compField(c)
				if !c.Bool("client-cert-auth", false) {
					p.Report(c.Pod, field, "etcd does not require client certificates (--client-cert-auth is not true)")
				}
				for _, f := range []string{"cert-file", "key-file"} {
					if v, ok := c.Value(f); !ok || v == "" {
						p.Reportf(c.Pod, field, "etcd has no --%s: clients connect without TLS", f)
					}
				}
				if !c.Bool("peer-client-cert-auth", false) {
					p.Report(c.Pod, field, "etcd does not require peer client certificates (--peer-client-cert-auth is not true)")
				}
				if c.Bool("auto-tls", false) {
					p.Report(c.Pod, field, "etcd uses self-signed client certificates (--auto-tls=true)")
				}
				if c.Bool("peer-auto-tls", false) {
					p.Report(c.Pod, field, "etcd uses self-signed peer certificates (--peer-auto-tls=true)")
				}
			}
		},
	}
}
