package secrets

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func itoa(i int) string { return strconv.Itoa(i) }

func credentialPattern() *rules.Rule {
	return &rules.Rule{
		ID:       "secret-in-plain-config",
		Category: finding.CategorySecrets,
		Severity: finding.SeverityHigh,
		Title:    "Credential found in plain configuration",
		Rationale: "A private key, a cloud access key, an API token, a password in a URL or connection string, or a " +
			"value under a credential-like name in a configuration file sits in a ConfigMap, an annotation or an " +
			"env value: all readable by far more people and tools than a Secret, and copied into Git, backups and " +
			"logs. Severity follows what the credential can do (cloud, source-hosting and private keys and " +
			"passwords high; chat tokens, webhook URLs and JSON Web Tokens medium; Stripe test keys and " +
			"placeholders low; a known default pair such as an exporter's user and password high). It " +
			"deliberately does not report settings under credential-like names whose value cannot be a credential " +
			"(password_encryption = scram-sha-256 in postgresql.conf, bearer_token_file paths in prometheus.yml, " +
			"token lifetimes, $__file{} and ${VAR} references), hashes, public keys and certificates, the " +
			"kubectl last-applied annotation of objects other than Secrets (it repeats fields judged where they " +
			"are), nor env variables named like credentials (secret-env-literal's).",
		Remediation: "Move the credential into a Secret and reference it; rotate it, since it must be assumed " +
			"leaked. If it is a test value, replace it with an obvious placeholder.",
		References: finding.References{
			CIS:   []string{"5.4.1"},
			NSA:   []string{"Pod security: protecting secrets"},
			MITRE: []string{"T1552.001", "T1552.007"},
			URLs:  secretURLs,
		},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			if la := obj.Annotation(lastApplied); obj.Kind == "Secret" && (strings.Contains(la, `"data"`) || strings.Contains(la, `"stringData"`)) {
				p.Reportf(obj, "metadata.annotations", "annotation %s holds the Secret's data in clear (kubectl apply copies the whole object); use server-side apply or create Secrets without it", lastApplied)
			}
			for _, e := range Entries(obj) {
				switch {
				case e.Kind == SecretEntry || e.Kind == ArgsEntry:
					continue // secret-in-manifest's and secret-in-args'
				case e.Kind == EnvEntry && IsCredentialName(e.Key):
					continue // secret-env-literal's
				}
				for _, m := range e.Detect() {
					p.ReportSeverity(obj, m.Severity, e.Field, fmt.Sprintf("%s holds a credential: %s (%s)", e.Where, m.Kind, m.Note()))
				}
			}
		},
	}
}

func wrongType() *rules.Rule {
	return &rules.Rule{
		ID:       "secret-wrong-type",
		Category: finding.CategorySecrets,
		Severity: finding.SeverityLow,
		Title:    "Opaque Secret holds TLS material or registry credentials",
		Rationale: "The kubernetes.io/tls and kubernetes.io/dockerconfigjson types let the API server validate the " +
			"content and let tools (and kguard's certificate rules) recognise it; an Opaque Secret hides " +
			"what it holds from both. It deliberately does not report an Opaque Secret holding only certificates " +
			"(a CA bundle to trust, ca.crt): kubernetes.io/tls requires a private key, so such a Secret has no " +
			"better type.",
		Remediation: "Recreate the Secret with type kubernetes.io/tls (keys tls.crt and tls.key) or " +
			"kubernetes.io/dockerconfigjson (key .dockerconfigjson): kubectl create secret tls / docker-registry.",
		References: finding.References{URLs: []string{"https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"}},
		Kinds:      secretKind,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			s, ok := obj.Typed.(*corev1.Secret)
			if !ok || (s.Type != "" && s.Type != corev1.SecretTypeOpaque) {
				return
			}
			keys := make([]string, 0, len(s.Data)+len(s.StringData))
			vals := map[string]string{}
			for k, v := range s.Data {
				keys, vals[k] = append(keys, k), string(v)
			}
			for k, v := range s.StringData {
				keys, vals[k] = append(keys, k), v
			}
			sort.Strings(keys)
			var cert, key string
			for _, k := range keys {
				v := vals[k]
				switch {
				case k == corev1.DockerConfigJsonKey || k == corev1.DockerConfigKey || strings.Contains(v, `"auths"`):
					p.Reportf(obj, "type", "Opaque Secret key %q holds registry credentials: use type kubernetes.io/dockerconfigjson", k)
					return
				case cert == "" && (k == corev1.TLSCertKey || strings.Contains(v, "-----BEGIN CERTIFICATE-----")):
					cert = k
				case key == "" && (k == corev1.TLSPrivateKeyKey || strings.Contains(v, "PRIVATE KEY-----")):
					key = k
				}
			}
			if cert != "" && key != "" {
				p.Reportf(obj, "type", "Opaque Secret keys %q and %q hold a certificate and its key (TLS material): use type kubernetes.io/tls", cert, key)
			}
		},
	}
}

func inManifest() *rules.Rule {
	return &rules.Rule{
		ID:       "secret-in-manifest",
		Requires: []analysis.Key{analysis.Manifest},
		Category: finding.CategorySecrets,
		Severity: finding.SeverityHigh,
		Title:    "Secret with its values committed in a manifest",
		Rationale: "Secret data is only base64-encoded: a Secret in a manifest file is a credential in clear in " +
			"Git, in every clone, fork and CI log, for good. Severity follows what the committed values can do: " +
			"a cloud key, a private key or a real-looking password is high, a chat token medium, placeholders " +
			"low, and values none of which is a credential (a user name, a host, a CA certificate) info. For a " +
			"Secret rendered from a Helm chart only the values written in the chart (its templates, helpers or " +
			"values.yaml files) are committed; it deliberately does not report values supplied when rendering " +
			"(--values, --set) or generated at install (randAlphaNum, genPrivateKey, lookup), nor Secrets read " +
			"from a cluster, where Secrets belong.",
		Remediation: "Keep Secrets out of Git: commit a SealedSecret, an ExternalSecret (External Secrets " +
			"Operator) or a SOPS-encrypted file instead, and rotate what was committed. In a chart, take the " +
			"value from .Values with no default, or generate it.",
		References: finding.References{
			MITRE: []string{"T1552.001"},
			URLs:  append([]string{"https://kubernetes.io/docs/concepts/configuration/secret/#information-security-for-secrets"}, secretURLs...),
		},
		Kinds: secretKind,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			if _, ok := obj.Typed.(*corev1.Secret); !ok || p.Manifest(obj).File == "" {
				return // live objects are where Secrets belong
			}
			var committed int
			var worst *Match
			var worstEntry Entry
			for _, e := range Entries(obj) {
				if e.Kind != SecretEntry || e.Value == "" || !writtenIn(obj, e) {
					continue
				}
				committed++
				for _, m := range e.Detect() {
					if worst == nil || m.Severity > worst.Severity {
						worst, worstEntry = &m, e
					}
				}
			}
			switch {
			case committed == 0:
				return
			case worst == nil:
				p.ReportSeverity(obj, finding.SeverityInfo, "data",
					fmt.Sprintf("Secret %q carries %d value(s) in the manifest, none of which looks like a credential", obj.Name, committed))
			default:
				p.ReportSeverity(obj, worst.Severity, worstEntry.Field,
					fmt.Sprintf("Secret %q carries %d value(s) in the manifest; %s holds %s (%s)", obj.Name, committed, worstEntry.Where, article(worst), worst.Note()))
			}
		},
	}
}

// writtenIn reports whether a Secret's value is written in its manifest:
// always for a file read as it is; for an object rendered from a Helm
// chart, when the value (or its base64 form) appears in the template or
// the chart's values.yaml as a whole token, rather than coming from
// --values, --set or a generator.
func writtenIn(obj *inventory.Object, e Entry) bool {
	if obj.RenderedFrom == nil {
		return true
	}
	forms := []string{e.Value, base64.StdEncoding.EncodeToString([]byte(e.Value))}
	for _, text := range obj.RenderedFrom {
		for _, f := range forms {
			if containsToken(text, f) {
				return true
			}
		}
	}
	return false
}

// containsToken reports whether s occurs in text with no letter, digit or
// base64 character right before or after it.
func containsToken(text, s string) bool {
	if s == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(text[i:], s)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(s)
		if (start == 0 || !tokenByte(text[start-1])) && (end == len(text) || !tokenByte(text[end])) {
			return true
		}
		i = start + 1
	}
}

func tokenByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' || b == '_' || b == '.'
}

// article puts "a" or "an" before what a match found.
func article(m *Match) string {
	noun := m.Kind
	switch m.Detector {
	case NamedValue:
		return "a credential"
	case SecretData:
		return "a random value"
	case ConfigAssignment:
		return "a credential as the " + noun
	}
	if strings.ContainsRune("AEIOUaeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}
