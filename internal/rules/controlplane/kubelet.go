package controlplane

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/tlsutil"
)

// kubeletCheck is one kubelet setting: its flag, its configuration file
// field, the two defaults (the flag's applies without --config, the
// file's with it), and when the value is a problem.
type kubeletCheck struct {
	flag, field             string
	flagDefault, cfgDefault string
	cis                     string
	severity                finding.Severity
	// bad returns the problem with the value, "" when there is none.
	bad func(v string) string
}

// kubeletChecks are the settings kubelet-config-insecure judges, in report
// order. Defaults are those of kubelet 1.3x: the deprecated flags keep the
// old insecure ones, KubeletConfiguration v1beta1 the safe ones.
var kubeletChecks = []kubeletCheck{
	{"anonymous-auth", "authentication.anonymous.enabled", "true", "false", "4.2.1", finding.SeverityHigh, func(v string) string {
		if isTrue(v) {
			return "the kubelet API serves anonymous requests"
		}
		return ""
	}},
	{"authorization-mode", "authorization.mode", "AlwaysAllow", "Webhook", "4.2.2", finding.SeverityCritical, func(v string) string {
		if strings.EqualFold(v, "AlwaysAllow") {
			return "every caller of the kubelet API is authorized"
		}
		return ""
	}},
	{"client-ca-file", "authentication.x509.clientCAFile", "", "", "4.2.3", finding.SeverityMedium, func(v string) string {
		if v == "" {
			return "the kubelet accepts no client certificates, so the API server cannot authenticate to it with one"
		}
		return ""
	}},
	{"read-only-port", "readOnlyPort", "10255", "0", "4.2.4", finding.SeverityMedium, func(v string) string {
		if strings.TrimSpace(v) != "0" {
			return "the kubelet serves an unauthenticated read-only API"
		}
		return ""
	}},
	{"streaming-connection-idle-timeout", "streamingConnectionIdleTimeout", "4h0m0s", "4h0m0s", "4.2.5", finding.SeverityLow, func(v string) string {
		if d, err := time.ParseDuration(v); (err == nil && d == 0) || v == "0" {
			return "exec and port-forward streams never time out"
		}
		return ""
	}},
	{"make-iptables-util-chains", "makeIPTablesUtilChains", "true", "true", "4.2.6", finding.SeverityLow, func(v string) string {
		if isFalse(v) {
			return "the kubelet leaves the iptables chains it needs to other tools"
		}
		return ""
	}},
	{"rotate-certificates", "rotateCertificates", "false", "false", "4.2.10", finding.SeverityMedium, func(v string) string {
		if !isTrue(v) {
			return "the kubelet's client certificate is not rotated"
		}
		return ""
	}},
	{"protect-kernel-defaults", "protectKernelDefaults", "false", "false", "", finding.SeverityLow, func(v string) string {
		if !isTrue(v) {
			return "the kubelet changes kernel settings instead of failing"
		}
		return ""
	}},
	{"tls-min-version", "tlsMinVersion", "", "", "4.2.12", finding.SeverityMedium, func(v string) string {
		if v == "VersionTLS10" || v == "VersionTLS11" {
			return "the kubelet API accepts TLS versions with practical attacks"
		}
		return ""
	}},
	{"tls-cipher-suites", "tlsCipherSuites", "", "", "4.2.12", finding.SeverityMedium, func(v string) string {
		if weak := tlsutil.Insecure(splitList(v)); len(weak) > 0 {
			return "the kubelet API offers insecure cipher suites " + strings.Join(weak, ", ")
		}
		return ""
	}},
}

func kubeletConfigInsecure() *rules.Rule {
	return &rules.Rule{
		ID:       "kubelet-config-insecure",
		Requires: []analysis.Key{controlplane.KubeletsAnalysis},
		Category: finding.CategoryExposure,
		Severity: finding.SeverityHigh,
		Title:    "Kubelet configuration exposes the node",
		Rationale: "The kubelet API runs commands in any pod of the node and reads their logs and secrets. " +
			"Anonymous access or AlwaysAllow authorization hands that to anyone who reaches port 10250; the " +
			"read-only port serves pod specs without any authentication, and without a client CA the API server " +
			"cannot authenticate to the kubelet with its certificate. Streams without an idle timeout stay open " +
			"forever; without protectKernelDefaults the kubelet silently adjusts kernel settings it should insist " +
			"on, and without certificate rotation the kubelet's client certificate expires or lives too long. " +
			"The kubelet takes each setting from its flag, else from its --config file, else from a default: " +
			"the deprecated flags default to the insecure values, the configuration file to the safe ones.",
		Remediation: "In the KubeletConfiguration set authentication.anonymous.enabled: false, authorization.mode: " +
			"Webhook, authentication.x509.clientCAFile, readOnlyPort: 0, a non-zero streamingConnectionIdleTimeout, " +
			"makeIPTablesUtilChains: true, protectKernelDefaults: true and rotateCertificates: true (and, if set, " +
			"tlsMinVersion VersionTLS12 or later and only AEAD cipher suites); remove flags that override them; " +
			"then restart the kubelet.",
		References: finding.References{
			CIS: []string{"4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.2.5", "4.2.6", "4.2.10", "4.2.12"},
			URLs: []string{
				"https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/",
				"https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
			},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, k := range rules.Use(p, controlplane.KubeletsAnalysis) {
				for _, chk := range kubeletChecks {
					s, ok := k.Setting(chk.flag, chk.field, chk.flagDefault, chk.cfgDefault)
					if !ok {
						continue // the --config file that decides it is not among the inputs
					}
					var cis []string
					if chk.cis != "" {
						cis = []string{chk.cis}
						p.Evaluated(s.Object, cis...)
					}
					if problem := chk.bad(s.Value); problem != "" {
						p.ReportCIS(s.Object, chk.severity, cis, s.Field, problem+" ("+s.Source+")")
					}
				}
			}
		},
	}
}

func kubeProxyMetricsExposed() *rules.Rule {
	return &rules.Rule{
		ID:       "kube-proxy-metrics-exposed",
		Requires: []analysis.Key{controlplane.KubeProxiesAnalysis},
		Category: finding.CategoryExposure,
		Severity: finding.SeverityLow,
		Title:    "kube-proxy serves its metrics beyond the node itself",
		Rationale: "kube-proxy's metrics endpoint is unauthenticated and describes the node's Services and " +
			"endpoints. Its default, 127.0.0.1:10249, keeps it on the node; any other address opens it to the " +
			"network.",
		Remediation: "Remove --metrics-bind-address and metricsBindAddress, or set them to 127.0.0.1:10249; scrape " +
			"the metrics through a local agent if you need them.",
		References: finding.References{
			CIS:  []string{"4.3.1"},
			URLs: []string{"https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, k := range rules.Use(p, controlplane.KubeProxiesAnalysis) {
				s, ok := k.Setting("metrics-bind-address", "metricsBindAddress", "127.0.0.1:10249", "127.0.0.1:10249")
				if !ok {
					continue
				}
				p.Evaluated(s.Object)
				if !loopback(s.Value) {
					p.Report(s.Object, s.Field, "kube-proxy serves its metrics on "+s.Value+", not only on the node ("+s.Source+")")
				}
			}
		},
	}
}

// loopback reports whether an address (host:port, host, or a CIDR as
// kube-proxy accepts) is on the loopback interface; "" is the default.
func loopback(addr string) bool {
	if addr == "" {
		return true
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	} else if ip, _, err := net.ParseCIDR(addr); err == nil {
		return ip.IsLoopback()
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isTrue(v string) bool { b, err := strconv.ParseBool(strings.TrimSpace(v)); return err == nil && b }
func isFalse(v string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	return err == nil && !b
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
