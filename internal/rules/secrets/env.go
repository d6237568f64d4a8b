package secrets

import (
	"fmt"

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
			"It cannot be rotated without a deploy. The value's shape decides before its name: a variable " +
			"named like a credential (DB_PASSWORD, API_KEY, MINIO_SECRET_KEY) is reported when its value could be " +
			"one, at high severity when it looks real or is a known default pair (POSTGRES_USER=postgres with " +
			"POSTGRES_PASSWORD=postgres, guest/guest), at low when it is a placeholder (changeme, your-password). " +
			"It deliberately does not report values that cannot be credentials whatever the name says (numbers " +
			"such as SESSION_TOKEN_TTL=3600, booleans, durations, sizes, paths, URLs without credentials, " +
			"password hashes, public keys, $(VAR) references), identifiers paired with a secret (MINIO_ACCESS_KEY, " +
			"CLIENT_ID), names that describe a credential rather than hold it (PASSWORD_MIN_LENGTH, TOKEN_FILE), " +
			"nor passwords made only of digits; credentials of known formats under other names are " +
			"secret-in-plain-config's.",
		Remediation: "Move the value into a Secret (created outside Git, or with Sealed Secrets, External Secrets " +
			"or SOPS) and mount it as a file, or reference it with valueFrom.secretKeyRef; then rotate the " +
			"exposed credential. Replace a product's default password in any case.",
		References: finding.References{
			CIS:   []string{"5.4.1"},
			NSA:   []string{"Pod security: protecting secrets"},
			MITRE: []string{"T1552.001", "T1552.007"},
			URLs:  secretURLs,
		},
		CheckWorkload: func(p *rules.Pass, w *extract.Workload) {
			for _, e := range workloadEntries(w) {
				if e.Kind != EnvEntry || !IsCredentialName(e.Key) {
					continue
				}
				for _, m := range e.Detect() {
					what := m.Kind
					if m.Detector == NamedValue {
						what = "credential"
					}
					p.ReportSeverity(w.Object, m.Severity, e.Field,
						fmt.Sprintf("container %q sets %s to a literal %s (%s)", e.Container, e.Key, what, m.Note()))
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
			"mounted Secret volume is a file readable only inside the container and is updated on rotation. " +
			"It deliberately does not report variables filled from a ConfigMap, the downward API or a resource " +
			"field, even when their names mention a password or a token: only secretKeyRef and envFrom.secretRef " +
			"put a Secret in the environment.",
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
