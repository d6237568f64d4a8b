package controlplane

import (
	"slices"
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
					p.Report(a.Pod, apiField(a), "kube-apiserver allows anonymous requests (--anonymous-auth is unset; the default is true)")
					continue
				}
				if a.AnonymousAuth() {
					p.Reportf(a.Pod, apiField(a), "kube-apiserver allows anonymous requests (--anonymous-auth=%s)", v)
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
				modes := a.AuthorizationModes()
				_, set := a.Value("authorization-mode")
				if slices.Contains(modes, "AlwaysAllow") {
					if set {
						p.Reportf(a.Pod, apiField(a), "kube-apiserver authorizes with AlwaysAllow (--authorization-mode=%s)", strings.Join(modes, ","))
					} else {
						p.Report(a.Pod, apiField(a), "kube-apiserver authorizes with AlwaysAllow (--authorization-mode is unset; AlwaysAllow is the default)")
					}
				}
				if !slices.Contains(modes, "RBAC") {
					p.Reportf(a.Pod, apiField(a), "kube-apiserver authorization does not include RBAC (modes: %s)", strings.Join(modes, ","))
				}
				if !slices.Contains(modes, "Node") {
					p.Reportf(a.Pod, apiField(a), "kube-apiserver authorization does not include Node (modes: %s)", strings.Join(modes, ","))
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
			"modify any Node and the pods of other nodes, so one compromised node spreads. Disabling PodSecurity " +
			"removes the built-in enforcement of the Pod Security Standards.",
		Remediation: "Start kube-apiserver with --enable-admission-plugins including NodeRestriction and never " +
			"AlwaysAdmit, and do not list PodSecurity in --disable-admission-plugins.",
		References: finding.References{
			URLs: []string{
				"https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/",
				"https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction",
			},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				enabled := a.List("enable-admission-plugins")
				disabled := a.List("disable-admission-plugins")
				if slices.Contains(enabled, "AlwaysAdmit") {
					p.Report(a.Pod, apiField(a), "kube-apiserver enables the AlwaysAdmit admission plugin (--enable-admission-plugins)")
				}
				if !slices.Contains(enabled, "NodeRestriction") {
					p.Report(a.Pod, apiField(a), "kube-apiserver does not enable the NodeRestriction admission plugin (--enable-admission-plugins)")
				}
				if slices.Contains(disabled, "PodSecurity") {
					p.Report(a.Pod, apiField(a), "kube-apiserver disables the PodSecurity admission plugin (--disable-admission-plugins)")
				}
			}
		},
	}
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
			CIS:  []string{"3.2.1"},
			URLs: []string{"https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				_, logPath := a.Value("audit-log-path")
				_, webhook := a.Value("audit-webhook-config-file")
				_, policy := a.Value("audit-policy-file")
				if !logPath && !webhook {
					p.Report(a.Pod, apiField(a), "kube-apiserver has no audit backend (neither --audit-log-path nor --audit-webhook-config-file)")
				}
				if !policy {
					p.Report(a.Pod, apiField(a), "kube-apiserver has no audit policy (--audit-policy-file): nothing is audited")
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
		Title:    "API server audit log has no retention limits",
		Rationale: "Without limits on age, number and size of the audit log files, the log either fills the " +
			"control-plane disk (stopping the API server) or is rotated away before anyone looks at it.",
		Remediation: "Set --audit-log-maxage (for example 30), --audit-log-maxbackup (10) and --audit-log-maxsize " +
			"(100) to match your retention needs, and ship the log off the node.",
		References: finding.References{
			URLs: []string{"https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/#log-backend"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				path, ok := a.Value("audit-log-path")
				if !ok || path == "-" || path == "" {
					continue // no file (or stdout): nothing to rotate
				}
				var missing []string
				for _, f := range []string{"audit-log-maxage", "audit-log-maxbackup", "audit-log-maxsize"} {
					if v, ok := a.Value(f); !ok || v == "" || v == "0" {
						missing = append(missing, "--"+f)
					}
				}
				if len(missing) > 0 {
					p.Reportf(a.Pod, apiField(a), "kube-apiserver writes the audit log to %s without %s", path, strings.Join(missing, ", "))
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
			URLs: []string{"https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				if v, ok := a.Value("encryption-provider-config"); !ok || v == "" {
					p.Report(a.Pod, apiField(a), "kube-apiserver has no --encryption-provider-config: Secrets are stored in etcd unencrypted")
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
			"deliberately or validated by other parties, and bound tokens are not issued.",
		Remediation: "Start kube-apiserver with --service-account-lookup=true (the default), " +
			"--service-account-key-file, --service-account-signing-key-file and --service-account-issuer.",
		References: finding.References{
			URLs: []string{
				"https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/",
				apiServerFlagsURL,
			},
		},
		CheckInventory: func(p *rules.Pass) {
			for _, a := range apiServers(p) {
				if !a.Bool("service-account-lookup", true) {
					p.Report(a.Pod, apiField(a), "kube-apiserver accepts tokens of deleted service accounts (--service-account-lookup=false)")
				}
				var missing []string
				for _, f := range []string{"service-account-key-file", "service-account-signing-key-file", "service-account-issuer"} {
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
					p.Reportf(a.Pod, apiField(a), "kube-apiserver is missing %s", strings.Join(missing, ", "))
				}
			}
		},
	}
}
