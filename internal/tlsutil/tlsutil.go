// Package tlsutil holds TLS facts shared by rules: which cipher suite
// names Go's crypto/tls classes as insecure.
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
