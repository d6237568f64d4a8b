package secrets

import (
	"encoding/base64"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

func encryptionAtRest() *rules.Rule {
	return &rules.Rule{
		ID:       "encryption-at-rest-weak",
		Category: finding.CategorySecrets,
		Severity: finding.SeverityHigh,
		Title:    "Secrets are not (well) encrypted at rest",
		Rationale: "Without encryption at rest every Secret is stored in etcd in clear: anyone with an etcd " +
			"backup or disk snapshot has them all. aescbc is vulnerable to padding-oracle attacks and keeps its " +
			"key next to the data; short keys weaken any cipher. Only the first provider of the first entry " +
			"that covers secrets encrypts new writes: it deliberately does not report the providers after it " +
			"(kept during a rotation to read older data, identity included) except for the length of their " +
			"keys, nor entries for other resources.",
		Remediation: "In the API server's EncryptionConfiguration, list secrets under a resources entry whose first " +
			"provider is kms (apiVersion v2, keys in an external KMS) or secretbox with a 32-byte key; keep " +
			"identity only last, for reading old data, then rewrite all Secrets " +
			"(kubectl get secrets -A -o json | kubectl replace -f -).",
		References: finding.References{
			CIS:   []string{"1.2.27", "1.2.28"},
			NSA:   []string{"Encrypt secrets at rest"},
			MITRE: []string{"T1552"},
			URLs:  []string{"https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/"},
		},
		Kinds: []schema.GroupKind{{Group: "apiserver.config.k8s.io", Kind: "EncryptionConfiguration"}},
		CheckObject: func(p *rules.Pass, obj *inventory.Object) {
			u, ok := obj.Unstructured()
			if !ok {
				return
			}
			for _, prob := range encryptionProblems(u.Object) {
				p.ReportSeverity(obj, prob.sev, prob.field, prob.msg)
			}
		},
	}
}

type problem struct {
	sev        finding.Severity
	field, msg string
}

// keyBytes is the key length each provider needs for full strength.
var keyBytes = map[string]int{"aescbc": 32, "aesgcm": 32, "secretbox": 32}

// encryptionProblems checks an EncryptionConfiguration for secrets. Key
// material is decoded to measure it and never leaves this function.
func encryptionProblems(cfg map[string]any) []problem {
	entries, _, _ := unstructured.NestedSlice(cfg, "resources")
	for i, e := range entries {
		entry, ok := e.(map[string]any)
		if !ok {
			continue
		}
		res, _, _ := unstructured.NestedStringSlice(entry, "resources")
		if !slices.Contains(res, "secrets") && !slices.Contains(res, "*.") && !slices.Contains(res, "*.*") {
			continue
		}
		// The first entry that names secrets is the one that applies.
		field := fmt.Sprintf("resources[%d].providers", i)
		providers, _, _ := unstructured.NestedSlice(entry, "providers")
		if len(providers) == 0 {
			return []problem{{finding.SeverityHigh, field, "the entry for secrets has no providers"}}
		}
		var out []problem
		first, _ := providers[0].(map[string]any)
		for name := range first {
			switch name {
			case "identity":
				out = append(out, problem{finding.SeverityHigh, field + "[0]", "the first provider for secrets is identity: new Secrets are written to etcd unencrypted"})
			case "aescbc":
				out = append(out, problem{finding.SeverityMedium, field + "[0]", "the first provider for secrets is aescbc, open to padding-oracle attacks with its key on the control-plane disk: prefer kms v2 or secretbox"})
			case "kms":
				if v, _, _ := unstructured.NestedString(first, "kms", "apiVersion"); v != "v2" {
					out = append(out, problem{finding.SeverityMedium, field + "[0].kms.apiVersion", "the first provider for secrets is KMS v1, deprecated since Kubernetes 1.28: use apiVersion v2"})
				}
			}
		}
		for j, pr := range providers {
			prov, _ := pr.(map[string]any)
			for name, want := range keyBytes {
				keys, _, _ := unstructured.NestedSlice(prov, name, "keys")
				for k, key := range keys {
					km, _ := key.(map[string]any)
					secret, _, _ := unstructured.NestedString(km, "secret")
					kname, _, _ := unstructured.NestedString(km, "name")
					raw, err := base64.StdEncoding.DecodeString(secret)
					kfield := fmt.Sprintf("%s[%d].%s.keys[%d]", field, j, name, k)
					switch {
					case err != nil:
						out = append(out, problem{finding.SeverityHigh, kfield, fmt.Sprintf("%s key %q is not valid base64", name, kname)})
					case len(raw) < want:
						out = append(out, problem{finding.SeverityHigh, kfield, fmt.Sprintf("%s key %q is %d bytes; use %d random bytes", name, kname, len(raw), want)})
					}
				}
			}
		}
		return out
	}
	return []problem{{finding.SeverityHigh, "resources", "no entry covers secrets: Secrets are stored in etcd unencrypted"}}
}
