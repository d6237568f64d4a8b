package agreement

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/kguard/kguard/internal/corpus"
	"github.com/kguard/kguard/internal/input"
)

// inputSet is one input the commands are compared on: its paths, as every
// command would be given them.
type inputSet struct {
	name  string
	paths []string
}

// inputSets returns the examples, every rule fixture file on its own, and a
// small generated corpus written to a temporary directory.
func inputSets(t *testing.T) []inputSet {
	t.Helper()
	sets := []inputSet{{name: "examples", paths: []string{filepath.Join("..", "..", "examples")}}}
	fixtures, err := filepath.Glob(filepath.Join("..", "rules", "*", "testdata", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(fixtures)
	if len(fixtures) < 200 {
		t.Fatalf("only %d rule fixtures found", len(fixtures))
	}
	for _, f := range fixtures {
		rel, _ := filepath.Rel(filepath.Join("..", "rules"), f)
		sets = append(sets, inputSet{name: rel, paths: []string{f}})
	}
	dir := t.TempDir()
	err = corpus.Generate(corpus.Options{Objects: 400, Seed: 7}, func(f corpus.File) error {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, f.Data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return append(sets, inputSet{name: "corpus", paths: []string{dir}})
}

// load reads one input set through the pipeline every command uses. Sets
// that do not load cleanly (fixtures of bad input) are skipped: the
// question here is agreement on what was read.
func load(t *testing.T, s inputSet) (*input.Result, bool) {
	t.Helper()
	res, err := input.Load(context.Background(), input.Source{Paths: s.paths})
	if err != nil || len(res.Errors) > 0 {
		return nil, false
	}
	return res, true
}
