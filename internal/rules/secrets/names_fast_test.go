package secrets

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNameWordsASCIIMatchesRunes: the ASCII fast path splits every name
// exactly as the rune-by-rune splitter does. Names are random strings over
// the characters that matter (cases, digits, separators) plus real ones.
func TestNameWordsASCIIMatchesRunes(t *testing.T) {
	names := []string{"DB_PASSWORD", "fooBar", "APIKey", "secrets[0]", "aws-secret-access-key", "X", "", "__", "a1B2", "HTTPServer2Port", "OAuth2Token"}
	const alphabet = "aBzZ09_-.[]xYAK "
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(14))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		names = append(names, string(b))
	}
	for _, n := range names {
		if got, want := nameWordsASCII(n), nameWordsRunes(n); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("%q: ASCII %q, runes %q", n, got, want)
		}
	}
	// The splitter is not trivially equal: a broken fast path must differ.
	if slices.Equal(nameWordsASCII("fooBar"), []string{"foobar"}) {
		t.Fatal("fooBar not split")
	}
}
