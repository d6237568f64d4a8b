package secrets

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// nameValueRef is the regular expression splitNameValue is written from.
var nameValueRef = regexp.MustCompile(`^["']?([A-Za-z0-9_.\-\[\]@/]+)["']?\s*([:=]|\s)\s*(.*)$`)

// TestSplitNameValueMatchesRegexp: the hand-written splitter agrees with
// the regular expression on real lines and on random lines over the
// characters that matter (quotes, blanks, separators, name characters).
func TestSplitNameValueMatchesRegexp(t *testing.T) {
	lines := []string{"password: hunter2", "requirepass foo", `"key" = "v"`, "a", "a:", "a  : b", "a\t=\tb", "a   b", `a "x"`, "=x", "'q'x: y", "[x]: 1", "a,b: c", ""}
	const alphabet = "aZ09_.-[]@/\"': =\t\r,#x"
	r := rand.New(rand.NewPCG(3, 4))
	for range 50000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		lines = append(lines, string(b))
	}
	for _, l := range lines {
		m := nameValueRef.FindStringSubmatch(l)
		name, sep, rest, ok := splitNameValue(l)
		if ok != (m != nil) || ok && (name != m[1] || sep != m[2] || rest != m[3]) {
			t.Fatalf("%q: splitNameValue = %q %q %q %v, regexp = %q", l, name, sep, rest, ok, m)
		}
	}
}
