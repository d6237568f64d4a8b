package detect

import (
	"embed"
	"io/fs"
)

//go:embed defaults/*.yaml
var defaultFS embed.FS

// DefaultSources returns the built-in rules files, to be loaded before a
// user's own files (which may append to the default lists).
func DefaultSources() []Source {
	var out []Source
	names, _ := fs.Glob(defaultFS, "defaults/*.yaml")
	for _, n := range names {
		b, _ := defaultFS.ReadFile(n)
		out = append(out, Source{Name: n, Data: b})
	}
	return out
}

// Default loads the built-in rules.
func Default() (*RuleSet, error) { return LoadSources(DefaultSources()...) }
