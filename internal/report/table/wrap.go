package table

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// runeWidth is how many terminal columns r takes: 2 for East Asian wide
// and fullwidth characters (most emoji among them), 0 for combining marks
// and zero-width characters, else 1.
func runeWidth(r rune) int {
	switch {
	case r == '\u200b' || r == '\u200d' || unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// displayWidth is how many terminal columns s takes. s must hold no
// control characters or escape sequences (clean removes them).
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// wrap breaks s into lines at most first columns wide for the first line
// and rest columns for the others, breaking at spaces where it can and
// inside a word only when the word alone is too wide. Runs of spaces at a
// break are dropped; inside a line they are kept.
func wrap(s string, first, rest int) []string {
	first, rest = max(first, 1), max(rest, 1)
	var lines []string
	var cur strings.Builder
	curW := 0
	limit := first
	flush := func() {
		lines = append(lines, cur.String())
		cur.Reset()
		curW = 0
		limit = rest
	}
	for len(s) > 0 {
		// The next word and the spaces before it.
		sp := len(s) - len(strings.TrimLeft(s, " "))
		gap, s2 := s[:sp], s[sp:]
		end := strings.IndexByte(s2, ' ')
		if end < 0 {
			end = len(s2)
		}
		word := s2[:end]
		s = s2[end:]
		if word == "" {
			break // trailing spaces
		}
		ww := displayWidth(word)
		gw := len(gap)
		if curW > 0 && curW+gw+ww <= limit {
			cur.WriteString(gap + word)
			curW += gw + ww
			continue
		}
		if curW > 0 {
			flush()
		}
		// Hard-break a word too wide for a whole line.
		for ww > limit {
			cut, cw := 0, 0
			for cut < len(word) {
				r, size := utf8.DecodeRuneInString(word[cut:])
				w := runeWidth(r)
				if cw+w > limit && cw > 0 {
					break
				}
				cw += w
				cut += size
			}
			cur.WriteString(word[:cut])
			curW = cw
			word = word[cut:]
			ww -= cw
			flush()
		}
		cur.WriteString(word)
		curW += ww
	}
	if curW > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}
