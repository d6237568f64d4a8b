package controlplane

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/controlplane"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

func apiServerAnonymousAuth() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-anonymous-auth",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryExposure,
		Severity: finding.SeverityMedium,
		Title:    "API server accepts anonymous requests",
		Rationale: "With anonymous authentication every unauthenticated request is served as system:anonymous. " +
			"Any binding that grants that user or the system:unauthenticated group (by mistake, or by a chart) " +
			"then opens the API to anyone who can reach it, and discovery endpoints leak cluster details.",
		Remediation: "Start kube-apiserver with --anonymous-auth=false, or with structured authentication " +
			"(--authentication-config) that allows anonymous access only to the health endpoints.",
		References: finding.References{
			CIS:  []string{"1.2.1"},
			URLs: []string{"https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				v, set := a.Value("anonymous-auth")
				if !set {
					if _, structured := a.Value("authentication-config"); structured {
						continue // decided by the config file, which is not visible
					}
					p.Evaluated(a.Object)
					p.Report(a.Object, a.Field, "kube-apiserver allows anonymous requests (--anonymous-auth is unset; the default is true)")
					continue
				}
				p.Evaluated(a.Object)
				if a.AnonymousAuth() {
					p.Reportf(a.Object, a.Field, "kube-apiserver allows anonymous requests (--anonymous-auth=%s)", v)
				}
			}
		},
	}
}

func apiServerTokenAuthFile() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-token-auth-file",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategorySecrets,
		Severity: finding.SeverityHigh,
		Title:    "API server accepts static tokens from a file",
		Rationale: "Tokens in a --token-auth-file never expire, sit in clear text on the control-plane node, and can " +
			"only be changed by editing the file and restarting the API server: a leaked token stays valid " +
			"indefinitely.",
		Remediation: "Remove --token-auth-file and authenticate people with OIDC or client certificates and " +
			"workloads with service account tokens.",
		References: finding.References{
			CIS:  []string{"1.2.2"},
			URLs: []string{"https://kubernetes.io/docs/reference/access-authn-authz/authentication/#static-token-file"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				p.Evaluated(a.Object)
				if v, ok := a.Value("token-auth-file"); ok && v != "" {
					p.Report(a.Object, a.Field, "kube-apiserver authenticates static tokens from a file (--token-auth-file)")
				}
			}
		},
	}
}

func apiServerAuthorizationMode() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-authorization-mode",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityCritical,
		Title:    "API server authorization allows everything or lacks RBAC or Node",
		Rationale: "AlwaysAllow lets every authenticated (and, with anonymous auth, unauthenticated) request do " +
			"anything. Without RBAC, Roles and bindings are ignored; without the Node authorizer, kubelets are " +
			"not limited to the objects of their own pods.",
		Remediation: "Start kube-apiserver with --authorization-mode=Node,RBAC (never AlwaysAllow), or an " +
			"equivalent --authorization-config.",
		References: finding.References{
			CIS: []string{"1.2.6", "1.2.7", "1.2.8"},
			URLs: []string{
				"https://kubernetes.io/docs/reference/access-authn-authz/authorization/",
				"https://kubernetes.io/docs/reference/access-authn-authz/node/",
			},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				if _, structured := a.Value("authorization-config"); structured {
					if _, flag := a.Value("authorization-mode"); !flag {
						continue // decided by the config file, which is not visible
					}
				}
				p.Evaluated(a.Object)
				modes := a.AuthorizationModes()
				_, set := a.Value("authorization-mode")
				if slices.Contains(modes, "AlwaysAllow") {
					msg := "kube-apiserver authorizes with AlwaysAllow (--authorization-mode=" + strings.Join(modes, ",") + ")"
					if !set {
						msg = "kube-apiserver authorizes with AlwaysAllow (--authorization-mode is unset; AlwaysAllow is the default)"
					}
					p.ReportCIS(a.Object, finding.SeverityCritical, []string{"1.2.6"}, a.Field, msg)
				}
				if !slices.Contains(modes, "RBAC") {
					p.ReportCIS(a.Object, finding.SeverityHigh, []string{"1.2.8"}, a.Field,
						"kube-apiserver authorization does not include RBAC (modes: "+strings.Join(modes, ",")+")")
				}
				if !slices.Contains(modes, "Node") {
					p.ReportCIS(a.Object, finding.SeverityMedium, []string{"1.2.7"}, a.Field,
						"kube-apiserver authorization does not include Node (modes: "+strings.Join(modes, ",")+")")
				}
			}
		},
	}
}

func apiServerAdmissionPlugins() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-admission-plugins",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryExposure,
		Severity: finding.SeverityHigh,
		Title:    "API server admission plugins are unsafe",
		Rationale: "AlwaysAdmit bypasses admission control. Without NodeRestriction a kubelet's credentials can " +
			"modify any Node and the pods of other nodes, so one compromised node spreads. Disabling " +
			"ServiceAccount lets pods run without the service account machinery (tokens, image pull secrets), " +
			"disabling NamespaceLifecycle lets objects be created in namespaces being deleted, and disabling " +
			"PodSecurity removes the built-in enforcement of the Pod Security Standards.",
		Remediation: "Start kube-apiserver with --enable-admission-plugins including NodeRestriction and never " +
			"AlwaysAdmit, and list none of ServiceAccount, NamespaceLifecycle and PodSecurity in " +
			"--disable-admission-plugins.",
		References: finding.References{
			CIS: []string{"1.2.10", "1.2.12", "1.2.13", "1.2.14"},
			URLs: []string{
				"https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/",
				"https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction",
			},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				p.Evaluated(a.Object)
				enabled := a.List("enable-admission-plugins")
				disabled := a.List("disable-admission-plugins")
				sev := p.Rule.Severity
				if slices.Contains(enabled, "AlwaysAdmit") {
					p.ReportCIS(a.Object, sev, []string{"1.2.10"}, a.Field, "kube-apiserver enables the AlwaysAdmit admission plugin (--enable-admission-plugins)")
				}
				if !slices.Contains(enabled, "NodeRestriction") {
					p.ReportCIS(a.Object, sev, []string{"1.2.14"}, a.Field, "kube-apiserver does not enable the NodeRestriction admission plugin (--enable-admission-plugins)")
				}
				for _, d := range []struct{ plugin, cis string }{{"ServiceAccount", "1.2.12"}, {"NamespaceLifecycle", "1.2.13"}, {"PodSecurity", ""}} {
					if !slices.Contains(disabled, d.plugin) {
						continue
					}
					var cis []string
					if d.cis != "" {
						cis = []string{d.cis}
					}
					p.ReportCIS(a.Object, sev, cis, a.Field, "kube-apiserver disables the "+d.plugin+" admission plugin (--disable-admission-plugins)")
				}
			}
		},
	}
}

func apiServerKubeletTLS() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-kubelet-tls",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryTLS,
		Severity: finding.SeverityMedium,
		Title:    "API server does not authenticate itself to kubelets or does not verify them",
		Rationale: "The API server connects to every kubelet for logs, exec and port-forward. Without a client " +
			"certificate it cannot authenticate, so kubelets must accept anonymous requests for those to work; " +
			"without the kubelets' certificate authority it cannot tell a kubelet from an impostor on the network " +
			"and hands it the session.",
		Remediation: "Start kube-apiserver with --kubelet-client-certificate and --kubelet-client-key (a client " +
			"certificate the kubelets' authorizer accepts) and --kubelet-certificate-authority (the CA that signs " +
			"the kubelets' serving certificates, for example with serverTLSBootstrap).",
		References: finding.References{
			CIS:  []string{"1.2.4", "1.2.5"},
			URLs: []string{"https://kubernetes.io/docs/concepts/architecture/control-plane-node-communication/#api-server-to-kubelet"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				p.Evaluated(a.Object)
				if missing := missingFlags(a, "kubelet-client-certificate", "kubelet-client-key"); len(missing) > 0 {
					p.ReportCIS(a.Object, p.Rule.Severity, []string{"1.2.4"}, a.Field,
						"kube-apiserver has no "+strings.Join(missing, ", ")+": it cannot authenticate to kubelets")
				}
				if missing := missingFlags(a, "kubelet-certificate-authority"); len(missing) > 0 {
					p.ReportCIS(a.Object, p.Rule.Severity, []string{"1.2.5"}, a.Field,
						"kube-apiserver has no --kubelet-certificate-authority: it does not verify the kubelets' serving certificates")
				}
			}
		},
	}
}

func apiServerEtcdTLS() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-etcd-tls",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryTLS,
		Severity: finding.SeverityHigh,
		Title:    "API server talks to etcd without TLS or without verifying it",
		Rationale: "Everything the cluster stores, Secrets included, travels between the API server and etcd. Over " +
			"plain HTTP anyone on the path reads and rewrites it; without a client certificate etcd cannot require " +
			"one, and without etcd's CA the API server cannot tell etcd from an impostor.",
		Remediation: "Serve etcd over https with client-certificate authentication, and start kube-apiserver with " +
			"https:// --etcd-servers, --etcd-certfile, --etcd-keyfile and --etcd-cafile.",
		References: finding.References{
			CIS:  []string{"1.2.23", "1.2.26"},
			URLs: []string{"https://kubernetes.io/docs/tasks/administer-cluster/configure-upgrade-etcd/#securing-communication"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				p.Evaluated(a.Object)
				var plain []string
				for _, s := range a.List("etcd-servers") {
					if strings.HasPrefix(strings.ToLower(s), "http://") {
						plain = append(plain, s)
					}
				}
				if len(plain) > 0 {
					// Without TLS the certificate flags do nothing: one
					// finding says what to fix first.
					p.ReportCIS(a.Object, p.Rule.Severity, []string{"1.2.23", "1.2.26"}, a.Field,
						"kube-apiserver talks to etcd over plain HTTP (--etcd-servers "+strings.Join(plain, ",")+")")
					continue
				}
				if missing := missingFlags(a, "etcd-certfile", "etcd-keyfile"); len(missing) > 0 {
					p.ReportCIS(a.Object, p.Rule.Severity, []string{"1.2.23"}, a.Field,
						"kube-apiserver has no "+strings.Join(missing, ", ")+": it presents no client certificate to etcd")
				}
				if missing := missingFlags(a, "etcd-cafile"); len(missing) > 0 {
					p.ReportCIS(a.Object, p.Rule.Severity, []string{"1.2.26"}, a.Field,
						"kube-apiserver has no --etcd-cafile: it does not verify etcd's certificate")
				}
			}
		},
	}
}

func apiServerServingTLS() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-serving-tls",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryTLS,
		Severity: finding.SeverityMedium,
		Title:    "API server serves a self-generated certificate or accepts no client certificates",
		Rationale: "Without --tls-cert-file the API server makes itself a self-signed certificate that clients " +
			"cannot verify, which trains them to skip verification. Without --client-ca-file no client can " +
			"authenticate with a certificate, which the kubelets and control-plane components rely on.",
		Remediation: "Start kube-apiserver with --tls-cert-file and --tls-private-key-file (a certificate signed by " +
			"the cluster CA) and --client-ca-file.",
		References: finding.References{
			CIS:  []string{"1.2.24", "1.2.25"},
			URLs: []string{apiServerFlagsURL},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				p.Evaluated(a.Object)
				if missing := missingFlags(a, "tls-cert-file", "tls-private-key-file"); len(missing) > 0 {
					p.ReportCIS(a.Object, p.Rule.Severity, []string{"1.2.24"}, a.Field,
						"kube-apiserver has no "+strings.Join(missing, ", ")+": it serves a self-signed certificate")
				}
				if missing := missingFlags(a, "client-ca-file"); len(missing) > 0 {
					p.ReportCIS(a.Object, p.Rule.Severity, []string{"1.2.25"}, a.Field,
						"kube-apiserver has no --client-ca-file: no client can authenticate with a certificate")
				}
			}
		},
	}
}

// missingFlags lists, as "--name", the flags a component does not set (or
// sets to "").
func missingFlags(c *controlplane.Component, names ...string) []string {
	var out []string
	for _, n := range names {
		if v, _, ok := c.Setting(n); !ok || v == "" {
			out = append(out, "--"+n)
		}
	}
	return out
}

func apiServerAuditLogMissing() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-audit-log-missing",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryAudit,
		Severity: finding.SeverityHigh,
		Title:    "API server does not write an audit log",
		Rationale: "Without an audit backend and policy there is no record of who read Secrets, created " +
			"privileged pods or changed RBAC: incidents cannot be detected or investigated.",
		Remediation: "Start kube-apiserver with --audit-policy-file (a policy that logs at least Metadata for " +
			"all requests and RequestResponse for Secrets and RBAC changes) and --audit-log-path or " +
			"--audit-webhook-config-file.",
		References: finding.References{
			CIS:  []string{"1.2.16", "3.2.1"},
			URLs: []string{"https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				_, logPath := a.Value("audit-log-path")
				_, webhook := a.Value("audit-webhook-config-file")
				_, policy := a.Value("audit-policy-file")
				p.Evaluated(a.Object, "3.2.1")
				// CIS 1.2.16 asks for a log file; a webhook-only backend
				// satisfies this rule but not the letter of the check.
				if logPath || !webhook {
					p.Evaluated(a.Object, "1.2.16")
				}
				if !logPath && !webhook {
					p.ReportCIS(a.Object, p.Rule.Severity, []string{"1.2.16"}, a.Field, "kube-apiserver has no audit backend (neither --audit-log-path nor --audit-webhook-config-file)")
				}
				if !policy {
					p.ReportCIS(a.Object, p.Rule.Severity, []string{"3.2.1"}, a.Field, "kube-apiserver has no audit policy (--audit-policy-file): nothing is audited")
				}
			}
		},
	}
}

func apiServerAuditLogRotation() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-audit-log-rotation",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryAudit,
		Severity: finding.SeverityLow,
		Title:    "API server audit log is kept too briefly",
		Rationale: "Without limits on age, number and size of the audit log files, the log either fills the " +
			"control-plane disk (stopping the API server) or is rotated away before anyone looks at it. The CIS " +
			"Benchmark asks for at least 30 days, 10 files and 100 MB per file.",
		Remediation: "Set --audit-log-maxage=30 (or more), --audit-log-maxbackup=10 and --audit-log-maxsize=100 (MB), " +
			"or larger values that match your retention needs, and ship the log off the node.",
		References: finding.References{
			CIS:  []string{"1.2.17", "1.2.18", "1.2.19"},
			URLs: []string{"https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				path, ok := a.Value("audit-log-path")
				if !ok || path == "-" || path == "" {
					continue // no file (or stdout): nothing to rotate
				}
				p.Evaluated(a.Object)
				for _, lim := range []struct {
					flag, cis, unit string
					min             int
				}{
					{"audit-log-maxage", "1.2.17", " days", 30},
					{"audit-log-maxbackup", "1.2.18", " files", 10},
					{"audit-log-maxsize", "1.2.19", " MB", 100},
				} {
					v, set := a.Value(lim.flag)
					n, err := strconv.Atoi(v)
					switch {
					case !set || v == "":
						p.ReportCIS(a.Object, p.Rule.Severity, []string{lim.cis}, a.Field,
							"kube-apiserver writes the audit log to "+path+" without --"+lim.flag+" (want at least "+strconv.Itoa(lim.min)+lim.unit+")")
					case err != nil || n < lim.min:
						p.ReportCIS(a.Object, p.Rule.Severity, []string{lim.cis}, a.Field,
							"kube-apiserver keeps the audit log with --"+lim.flag+"="+v+" (want at least "+strconv.Itoa(lim.min)+lim.unit+")")
					}
				}
			}
		},
	}
}

func apiServerEncryptionMissing() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-encryption-missing",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategorySecrets,
		Severity: finding.SeverityHigh,
		Title:    "API server does not encrypt data at rest",
		Rationale: "Without an encryption provider configuration, Secrets are stored in etcd in clear: anyone " +
			"with an etcd backup, a disk snapshot or etcd client access reads every credential of the cluster.",
		Remediation: "Write an EncryptionConfiguration that encrypts secrets with kms (v2) or secretbox, start " +
			"kube-apiserver with --encryption-provider-config pointing at it, then rewrite all Secrets.",
		References: finding.References{
			CIS:  []string{"1.2.27"},
			URLs: []string{"https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				p.Evaluated(a.Object)
				if v, ok := a.Value("encryption-provider-config"); !ok || v == "" {
					p.Report(a.Object, a.Field, "kube-apiserver has no --encryption-provider-config: Secrets are stored in etcd unencrypted")
				}
			}
		},
	}
}

func apiServerServiceAccountFlags() *rules.Rule {
	return &rules.Rule{
		ID:       "apiserver-service-account-flags",
		Requires: []analysis.Key{controlplane.FactsAnalysis},
		Category: finding.CategoryRBAC,
		Severity: finding.SeverityMedium,
		Title:    "API server service account token settings are incomplete",
		Rationale: "With --service-account-lookup=false, tokens of deleted service accounts stay valid until they " +
			"expire. Without explicit signing and verification keys and an issuer, tokens cannot be rotated " +
			"deliberately or validated by other parties, and bound tokens are not issued. With " +
			"--service-account-extend-token-expiration (the default), projected tokens meant to live an hour are " +
			"issued for a year, so a stolen token stays useful far longer.",
		Remediation: "Start kube-apiserver with --service-account-lookup=true (the default), " +
			"--service-account-key-file, --service-account-signing-key-file, --service-account-issuer and " +
			"--service-account-extend-token-expiration=false (after checking that workloads refresh their tokens).",
		References: finding.References{
			CIS: []string{"1.2.21", "1.2.22", "1.2.30"},
			URLs: []string{
				"https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/",
				apiServerFlagsURL,
			},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				p.Evaluated(a.Object)
				sev := p.Rule.Severity
				if !a.Bool("service-account-lookup", true) {
					p.ReportCIS(a.Object, sev, []string{"1.2.21"}, a.Field, "kube-apiserver accepts tokens of deleted service accounts (--service-account-lookup=false)")
				}
				if missing := missingFlags(a, "service-account-key-file"); len(missing) > 0 {
					p.ReportCIS(a.Object, sev, []string{"1.2.22"}, a.Field, "kube-apiserver is missing --service-account-key-file")
				}
				var missing []string
				for _, f := range []string{"service-account-signing-key-file", "service-account-issuer"} {
					if f == "service-account-signing-key-file" {
						if _, external := a.Value("service-account-signing-endpoint"); external {
							continue // an external signer replaces the key file
						}
					}
					if v, ok := a.Value(f); !ok || v == "" {
						missing = append(missing, "--"+f)
					}
				}
				if len(missing) > 0 {
					p.ReportCIS(a.Object, sev, nil, a.Field, "kube-apiserver is missing "+strings.Join(missing, ", "))
				}
				if a.Bool("service-account-extend-token-expiration", true) {
					why := "--service-account-extend-token-expiration is unset; the default is true"
					if v, set := a.Value("service-account-extend-token-expiration"); set {
						why = "--service-account-extend-token-expiration=" + v
					}
					p.ReportCIS(a.Object, finding.SeverityLow, []string{"1.2.30"}, a.Field,
						"kube-apiserver extends the lifetime of projected service account tokens ("+why+")")
				}
			}
		},
	}
}
