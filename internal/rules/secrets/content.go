package secrets

import (
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func itoa(i int) string { return strconv.Itoa(i) }

// lastApplied is where kubectl apply keeps the whole object it applied:
// for a Secret, its data in clear.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

func credentialPattern() *rules.Rule {
	return &rules.Rule{
		ID:       "secret-in-plain-config",
		Category: finding.CategorySecrets,
		Severity: finding.SeverityHigh,
		Title:    "Credential found in plain configuration",
		Rationale: "A private key, a cloud access key, an API token, a password in a URL or a random-looking " +
			"value under a credential-like key sits in an env value, a ConfigMap or an annotation: all readable " +
			"by far more people and tools than a Secret, and copied into Git, backups and logs.",
		Remediation: "Move the credential into a Secret and reference it; rotate it, since it must be assumed " +
			"leaked. If it is a test value, replace it with an obvious placeholder.",
		References: finding.References{
			CIS:   []string{"5.4.1"},
			NSA:   []string{"Pod security: protecting secrets"},
			MITRE: []string{"T1552.001", "T1552.007"},
			URLs:  secretURLs,
		},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			if obj.Meta != nil {
				keys := make([]string, 0, len(obj.Meta.Annotations))
				for k := range obj.Meta.Annotations {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					v := obj.Meta.Annotations[k]
					if k == lastApplied && obj.Kind == "Secret" {
						if strings.Contains(v, `"data"`) || strings.Contains(v, `"stringData"`) {
							p.Reportf(obj, "metadata.annotations", "annotation %s holds the Secret's data in clear (kubectl apply copies the whole object); use server-side apply or create Secrets without it", k)
						}
						continue
					}
					reportMatches(p, obj, "metadata.annotations", "annotation "+k, k, v)
				}
			}
			switch o := obj.Typed.(type) {
			case *corev1.ConfigMap:
				keys := make([]string, 0, len(o.Data))
				for k := range o.Data {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					reportMatches(p, obj, "data."+k, "ConfigMap key "+strconv.Quote(k), k, o.Data[k])
				}
			}
			if w, ok := extract.PodSpec(obj); ok {
				for _, c := range w.Containers() {
					for i, e := range c.Container.Env {
						if e.ValueFrom != nil || (IsCredentialName(e.Name) && !placeholder(e.Value)) {
							continue // secret-env-literal reports credential-named literals
						}
						reportMatches(p, obj, c.Path+".env["+itoa(i)+"].value",
							"container "+strconv.Quote(c.Container.Name)+" env "+e.Name, e.Name, e.Value)
					}
				}
			}
		},
	}
}

// reportMatches reports each credential in value, by kind and fingerprint.
func reportMatches(p *rules.Pass, obj *inventory.Object, field, where, key, value string) {
	for _, m := range Detect(key, value) {
		p.Reportf(obj, field, "%s holds a credential: %s (%s)", where, m.Kind, Fingerprint(m.Value))
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
			"what it holds from both.",
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
			for _, k := range keys {
				v := vals[k]
				switch {
				case k == corev1.TLSCertKey || k == corev1.TLSPrivateKeyKey || strings.Contains(v, "-----BEGIN CERTIFICATE-----"):
					p.Reportf(obj, "type", "Opaque Secret key %q holds TLS material: use type kubernetes.io/tls", k)
					return
				case k == corev1.DockerConfigJsonKey || k == corev1.DockerConfigKey || strings.Contains(v, `"auths"`):
					p.Reportf(obj, "type", "Opaque Secret key %q holds registry credentials: use type kubernetes.io/dockerconfigjson", k)
					return
				}
			}
		},
	}
}

func inManifest() *rules.Rule {
	return &rules.Rule{
		ID:       "secret-in-manifest",
		Requires: []analysis.Key{analysis.Manifest},
		Category: finding.CategorySecrets,
		Severity: finding.SeverityInfo,
		Title:    "Secret with its values committed in a manifest",
		Rationale: "Secret data is only base64-encoded: a Secret in a manifest file is a credential in clear in " +
			"Git, in every clone, fork and CI log, for good.",
		Remediation: "Keep Secrets out of Git: commit a SealedSecret, an ExternalSecret (External Secrets " +
			"Operator) or a SOPS-encrypted file instead, and rotate what was committed.",
		References: finding.References{
			MITRE: []string{"T1552.001"},
			URLs:  append([]string{"https://kubernetes.io/docs/concepts/configuration/secret/#information-security-for-secrets"}, secretURLs...),
		},
		Kinds: secretKind,
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			s, ok := obj.Typed.(*corev1.Secret)
			if !ok || p.Manifest(obj).File == "" || len(s.Data)+len(s.StringData) == 0 {
				return // live objects are where Secrets belong
			}
			p.Reportf(obj, "data", "Secret %q carries %d value(s) in the manifest", obj.Name, len(s.Data)+len(s.StringData))
		},
	}
}
