package table

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/report/reporttest"
)

func TestDisplayWidth(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want int
	}{
		{"abc", 3},
		{"naïve", 5},
		{"nai\u0308ve", 5}, // combining diaeresis takes no column
		{"🐛", 2},
		{"日本語", 6},
		{"ｆｕｌｌ", 8}, // fullwidth forms
		{"a\u200bb", 2},
	} {
		if got := displayWidth(tt.s); got != tt.want {
			t.Errorf("displayWidth(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestWrap(t *testing.T) {
	for _, tt := range []struct {
		s           string
		first, rest int
		want        []string
	}{
		{"one two three", 20, 20, []string{"one two three"}},
		{"one two three", 7, 7, []string{"one two", "three"}},
		{"one two three", 3, 9, []string{"one", "two three"}},
		{"keep  two  spaces", 20, 20, []string{"keep  two  spaces"}},
		{"break  at  spaces", 6, 6, []string{"break", "at", "spaces"}},
		{"abcdefghij", 4, 4, []string{"abcd", "efgh", "ij"}},
		{"x abcdefghij", 4, 4, []string{"x", "abcd", "efgh", "ij"}},
		{"日本語日本語", 5, 5, []string{"日本", "語日", "本語"}}, // a wide rune never straddles the edge
		{"", 5, 5, []string{""}},
		{"word  ", 10, 10, []string{"word"}},
	} {
		if got := wrap(tt.s, tt.first, tt.rest); !slices.Equal(got, tt.want) {
			t.Errorf("wrap(%q, %d, %d) = %q, want %q", tt.s, tt.first, tt.rest, got, tt.want)
		}
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestFitsTheTerminal: at any width, no line of any view is wider than the
// terminal, colour or not, and nothing is lost: the text without spaces is
// the same as the unwrapped report's.
func TestFitsTheTerminal(t *testing.T) {
	squash := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
	}
	views := map[string]func(o *report.Options){
		"resource":  func(o *report.Options) {},
		"summary":   func(o *report.Options) { o.Summary = true },
		"rule":      func(o *report.Options) { o.GroupBy = "rule" },
		"namespace": func(o *report.Options) { o.GroupBy = "namespace" },
		"explain":   func(o *report.Options) { o.Explain = true },
	}
	for name, adjust := range views {
		for _, width := range []int{20, 33, 40, 60, 80, 120} {
			for _, color := range []bool{false, true} {
				opts := reporttest.Options(t)
				opts.ShowSuppressed = true
				adjust(&opts)
				full := render(t, reporttest.Result(t), opts)
				opts.Width, opts.Color = width, color
				out := render(t, reporttest.Result(t), opts)
				for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					if w := displayWidth(ansi.ReplaceAllString(line, "")); w > width {
						t.Errorf("%s, width %d, colour %v: line %d is %d columns: %q", name, width, color, i+1, w, line)
					}
				}
				if !color && squash(out) != squash(full) {
					t.Errorf("%s, width %d: wrapping changed the text:\n%s", name, width, out)
				}
			}
		}
	}
}
