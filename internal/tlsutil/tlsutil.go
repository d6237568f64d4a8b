// Package tlsutil holds TLS facts and parsing shared by the rules and
// kguard's servers: which cipher suite names Go's crypto/tls classes as
// insecure, and the certificates of PEM data.
package tlsutil

import (
	"crypto/tls"
	"slices"
)

var insecure = func() []string {
	var out []string
	for _, s := range tls.InsecureCipherSuites() {
		out = append(out, s.Name)
	}
	return out
}()

// Insecure returns the suites of names that are insecure (RC4, 3DES, CBC
// with SHA-1 and the like), in the order given.
func Insecure(names []string) []string {
	var out []string
	for _, n := range names {
		if slices.Contains(insecure, n) {
			out = append(out, n)
		}
	}
	return out
}
