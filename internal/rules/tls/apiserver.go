package tls

import (
	"strconv"
	"strings"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/tlsutil"
)

func itoa(i int) string { return strconv.Itoa(i) }

func apiServerTLS() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-tls-weak",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryTLS,
		Severity: finding.SeverityMedium,
		Title:    "API server allows old TLS versions or insecure cipher suites",
		Rationale: "TLS 1.0 and 1.1 and suites such as RC4, 3DES or CBC with SHA-1 have practical attacks; every " +
			"client of the API server (kubelets, controllers, kubectl) handles credentials over it.",
		Remediation: "Start kube-apiserver with --tls-min-version=VersionTLS12 (or VersionTLS13) and, if you set " +
			"--tls-cipher-suites, only AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305).",
		References: finding.References{
			CIS:  []string{"1.2.29"},
			NSA:  []string{"Network separation and hardening: encrypt traffic"},
			URLs: []string{"https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range rules.Use(p, controlplane.FactsAnalysis).APIServers {
				if v, ok := a.Value("tls-min-version"); ok && (v == "VersionTLS10" || v == "VersionTLS11") {
					p.Reportf(a.Pod, "spec.containers", "kube-apiserver accepts %s (--tls-min-version)", v)
				}
				if weak := tlsutil.Insecure(a.List("tls-cipher-suites")); len(weak) > 0 {
					p.Reportf(a.Pod, "spec.containers", "kube-apiserver offers insecure cipher suites: %s", strings.Join(weak, ", "))
				}
			}
		},
	}
}
