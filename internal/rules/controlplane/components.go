package controlplane

import (
	"strings"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
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
			CIS:  []string{"1.2.15", "1.3.2", "1.4.1"},
			URLs: []string{apiServerFlagsURL, cmFlagsURL, schedulerFlagsURL},
		},
		CheckInventory: func(p *rules.Pass) {
			check := func(c *controlplane.Component, cis string) {
				p.Evaluated(c.Object, cis)
				v, set := c.Value("profiling")
				switch {
				case !set:
					p.ReportCIS(c.Object, p.Rule.Severity, []string{cis}, c.Field, c.Name+" has profiling enabled (--profiling is unset; the default is true)")
				case c.Bool("profiling", true):
					p.ReportCIS(c.Object, p.Rule.Severity, []string{cis}, c.Field, c.Name+" has profiling enabled (--profiling="+v+")")
				}
			}
			for _, a := range apiServers(p) {
				check(a, "1.2.15")
			}
			for _, c := range components(p, controlplane.ComponentControllerManager) {
				check(c, "1.3.2")
			}
			for _, c := range components(p, controlplane.ComponentScheduler) {
				check(c, "1.4.1")
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
			for _, comp := range []struct{ name, cis string }{
				{controlplane.ComponentControllerManager, "1.3.7"},
				{controlplane.ComponentScheduler, "1.4.2"},
			} {
				for _, c := range components(p, comp.name) {
					p.Evaluated(c.Object, comp.cis)
					v, set := c.Value("bind-address")
					switch {
					case !set || v == "":
						p.ReportCIS(c.Object, p.Rule.Severity, []string{comp.cis}, c.Field, c.Name+" listens on all interfaces (--bind-address is unset; the default is 0.0.0.0)")
					case v == "0.0.0.0" || v == "::":
						p.ReportCIS(c.Object, p.Rule.Severity, []string{comp.cis}, c.Field, c.Name+" listens on all interfaces (--bind-address="+v+")")
					}
				}
			}
		},
	}
}

func controllerManagerInsecure() *rules.Rule {
	return &rules.Rule{
		ID:       "controller-manager-insecure",
		Requires: []analysis.Key{controlplane.ComponentsAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityMedium,
		Title:    "Controller manager runs without its service account settings",
		Rationale: "Without --use-service-account-credentials every controller acts with the controller manager's " +
			"own, broad credentials instead of a service account with only its controller's permissions. " +
			"Without --service-account-private-key-file it cannot sign service account tokens, without " +
			"--root-ca-file pods cannot verify the API server, and with the RotateKubeletServerCertificate " +
			"feature off kubelet serving certificates are never renewed.",
		Remediation: "Start kube-controller-manager with --use-service-account-credentials=true, " +
			"--service-account-private-key-file, --root-ca-file, and without RotateKubeletServerCertificate=false " +
			"in --feature-gates (kubeadm sets all of these).",
		References: finding.References{
			CIS:  []string{"1.3.3", "1.3.4", "1.3.5", "1.3.6"},
			URLs: []string{cmFlagsURL},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, c := range components(p, controlplane.ComponentControllerManager) {
				p.Evaluated(c.Object)
				sev := p.Rule.Severity
				if !c.Bool("use-service-account-credentials", false) {
					p.ReportCIS(c.Object, sev, []string{"1.3.3"}, c.Field, "kube-controller-manager runs every controller with its own credentials (--use-service-account-credentials is not true)")
				}
				if missing := missingFlags(c, "service-account-private-key-file"); len(missing) > 0 {
					p.ReportCIS(c.Object, sev, []string{"1.3.4"}, c.Field, "kube-controller-manager has no --service-account-private-key-file: it cannot sign service account tokens")
				}
				if missing := missingFlags(c, "root-ca-file"); len(missing) > 0 {
					p.ReportCIS(c.Object, finding.SeverityLow, []string{"1.3.5"}, c.Field, "kube-controller-manager has no --root-ca-file: pods get no CA to verify the API server with")
				}
				for _, gate := range c.List("feature-gates") {
					name, value, _ := strings.Cut(gate, "=")
					if strings.TrimSpace(name) == "RotateKubeletServerCertificate" && strings.EqualFold(strings.TrimSpace(value), "false") {
						p.ReportCIS(c.Object, sev, []string{"1.3.6"}, c.Field, "kube-controller-manager turns off kubelet serving certificate rotation (--feature-gates RotateKubeletServerCertificate=false)")
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
			"automatic certificates (auto-tls) encrypt but authenticate no one. The same holds between etcd " +
			"members for the peer port.",
		Remediation: "Start etcd with --cert-file, --key-file and --client-cert-auth=true (and --trusted-ca-file), " +
			"--peer-cert-file, --peer-key-file and --peer-client-cert-auth=true, and without --auto-tls or " +
			"--peer-auto-tls (or the ETCD_* environment variables of the same settings).",
		References: finding.References{
			CIS:  []string{"2.1", "2.2", "2.3", "2.4", "2.5", "2.6"},
			URLs: []string{"https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-etcd-clusters"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, c := range components(p, controlplane.ComponentEtcd) {
				if _, _, ok := c.Setting("config-file"); ok {
					continue // etcd then ignores flags and environment; the file is not visible
				}
				p.Evaluated(c.Object)
				report := func(cis, msg string) { p.ReportCIS(c.Object, p.Rule.Severity, []string{cis}, c.Field, msg) }
				for _, pair := range []struct {
					cis, cert, key, what string
				}{
					{"2.1", "cert-file", "key-file", "clients connect without TLS"},
					{"2.4", "peer-cert-file", "peer-key-file", "members talk to each other without TLS"},
				} {
					if missing := missingFlags(c, pair.cert, pair.key); len(missing) > 0 {
						report(pair.cis, "etcd has no "+strings.Join(missing, ", ")+": "+pair.what)
					}
				}
				if !c.Bool("client-cert-auth", false) {
					report("2.2", "etcd does not require client certificates ("+settingText(c, "client-cert-auth")+")")
				}
				if !c.Bool("peer-client-cert-auth", false) {
					report("2.5", "etcd does not require peer client certificates ("+settingText(c, "peer-client-cert-auth")+")")
				}
				if c.Bool("auto-tls", false) {
					report("2.3", "etcd uses self-signed client certificates ("+settingText(c, "auto-tls")+")")
				}
				if c.Bool("peer-auto-tls", false) {
					report("2.6", "etcd uses self-signed peer certificates ("+settingText(c, "peer-auto-tls")+")")
				}
			}
		},
	}
}

// settingText names a setting as the component got it: "--auto-tls=true",
// "ETCD_AUTO_TLS=true", or "--auto-tls is unset".
func settingText(c *controlplane.Component, name string) string {
	if _, src, ok := c.Setting(name); ok {
		return src
	}
	return "--" + name + " is unset"
}
