package finding

import (
	"crypto/sha256"
	"encoding/hex"
)

// Fingerprint identifies a finding across runs: the same rule on the same
// field of the same object (API group, kind, namespace and name). What
// changes between runs without changing the problem is left out on
// purpose: the line and the file (moving an object between files or lines
// is not a new problem), the message (rewording, or a count in it), the
// severity (a config override) and the API version within a group (a
// Deployment moved from apps/v1beta2 to apps/v1 is the same Deployment).
//
// Reports carry it (JSON "fingerprint", SARIF partialFingerprints), and a
// baseline compares runs by it. Two findings of one rule on one field of
// one object share it.
func Fingerprint(f *Finding) string {
	h := sha256.New()
	for _, part := range []string{f.Rule, f.Resource.Group(), f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, f.Field} {
		h.Write([]byte(part))
		h.Write([]byte{0}) // separator: ("ab","c") must differ from ("a","bc")
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}
