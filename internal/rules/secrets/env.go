package secrets

import (
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

var secretURLs = []string{"https://kubernetes.io/docs/concepts/security/secrets-good-practices/"}

func envLiteral() *rules.Rule {
	return &rules.Rule{
		ID:       "secret-env-literal",
		Category: finding.CategorySecrets,
		Severity: finding.SeverityHigh,
		Title:    "Credential written as a literal environment variable",
		Rationale: "A password or token in a container's env is stored in plain text in the manifest, in Git, in " +
			"the API server (readable by anyone who may get the workload) and in every kubectl describe. " +
			"It cannot be rotated without a deploy.",
		Remediation: "Move the value into a Secret (created outside Git, or with Sealed Secrets, External Secrets " +
			"or SOPS) and mount it as a file, or reference it with valueFrom.secretKeyRef; then rotate the " +
			"exposed credential.",
		References: finding.References{
			CIS:   []string{"5.4.1"},
			NSA:   []string{"Pod security: protecting secrets"},
			MITRE: []string{"T1552.001", "T1552.007"},
			URLs:  secretURLs,
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			for _, c := range w.Containers() {
				for i, e := range c.Container.Env {
					if e.ValueFrom != nil || !IsCredentialName(e.Name) || placeholder(e.Value) {
						continue
					}
					p.Reportf(w.Object, c.Path+".env["+itoa(i)+"].value",
						"container %q sets %s to a literal value (%s)", c.Container.Name, e.Name, Fingerprint(e.Value))
				}
			}
		},
	}
}

func envFromSecret() *rules.Rule {
	return &rules.Rule{
		ID:       "secret-as-env-var",
		Category: finding.CategorySecrets,
		Severity: finding.SeverityLow,
		Title:    "Secret exposed as environment variables",
		Rationale: "Environment variables leak: into crash reports, debug endpoints, child processes and logs " +
			"of programs that print their environment, and they never change while the container runs. A " +
			"mounted Secret volume is a file readable only inside the container and is updated on rotation.",
		Remediation: "Mount the Secret as a volume (readOnly, defaultMode 0400) and read the credential from the " +
			"file; keep secretKeyRef only for programs that cannot read files.",
		References: finding.References{
			CIS:   []string{"5.4.1"},
			MITRE: []string{"T1552.007"},
			URLs:  secretURLs,
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			for _, c := range w.Containers() {
				for i, e := range c.Container.Env {
					if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						p.Reportf(w.Object, c.Path+".env["+itoa(i)+"].valueFrom.secretKeyRef",
							"container %q reads Secret %q key %q into %s", c.Container.Name,
							e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key, e.Name)
					}
				}
				for i, src := range c.Container.EnvFrom {
					if src.SecretRef != nil {
						p.Reportf(w.Object, c.Path+".envFrom["+itoa(i)+"].secretRef",
							"container %q loads every key of Secret %q into its environment", c.Container.Name, src.SecretRef.Name)
					}
				}
			}
		},
	}
}
