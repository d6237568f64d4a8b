package all

import (
	"bytes"
	"context"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kguard/kguard/internal/config"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules/ruledoc"
	"github.com/kguard/kguard/internal/rules/rulestest"
	"github.com/kguard/kguard/internal/scan"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md from the registry")

func TestRegistryValid(t *testing.T) {
	reg, err := Registry()
	if err != nil {
		t.Fatalf("default registry is invalid:\n%v", err)
	}
	if reg.Len() == 0 {
		t.Fatal("default registry has no rules")
	}
}

// TestEveryRuleHasFixtures enforces that each rule has fire and pass
// fixtures in its family's testdata; a rule without them is not tested.
func TestEveryRuleHasFixtures(t *testing.T) {
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reg.Rules() {
		fire, pass := rulestest.Fixtures("..", r)
		if (len(fire) == 0 || len(pass) == 0) && !generated[r.ID] {
			t.Errorf("rule %s: no fixtures (need fire*.yaml and pass*.yaml in its family's testdata/%s/)", r.ID, r.ID)
		}
	}
}

// generated lists rules whose fixtures are produced by their tests (for
// example certificates made with crypto/x509 at test time).
var generated = map[string]bool{}

func TestDocsUpToDate(t *testing.T) {
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	got := ruledoc.Markdown(reg)
	path := filepath.Join("..", "..", "..", "docs", "rules.md")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./internal/rules/all -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/rules.md is stale: run go test ./internal/rules/all -update")
	}
}

// TestRequirementsDeclared runs every rule over one inventory holding every
// rule's fixtures and the bundled examples, so each check meets many more
// objects than its own fixtures. A rule that uses an analysis (or other
// objects) it did not declare is refused by its Pass, and the scan reports
// it as not evaluated.
func TestRequirementsDeclared(t *testing.T) {
	reg, err := Registry()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("..", "*", "testdata", "*", "*.yaml"))
	examples, _ := filepath.Glob(filepath.Join("..", "..", "..", "examples", "*", "*.yaml"))
	files = append(files, examples...)
	var objs []*inventory.Object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := inventory.DecodeFile(f, data)
		objs = append(objs, got...)
	}
	if len(objs) < 500 {
		t.Fatalf("only %d objects from %d files: fixtures not found", len(objs), len(files))
	}
	cfg := &config.Config{}
	for _, r := range reg.Rules() {
		if r.DisabledByDefault {
			cfg.Rules.Enable = append(cfg.Rules.Enable, r.ID)
		}
	}
	res, err := scan.Run(context.Background(), inventory.New(objs), scan.Options{Registry: reg, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) != reg.Len() {
		t.Errorf("%d of %d rules ran", len(res.Rules), reg.Len())
	}
	for _, ne := range res.NotEvaluated {
		t.Errorf("%s: %s", ne.Subject, ne.Reason)
	}
}

// TestProvenanceOnlyThroughPass: rules read where an object came from only
// through Pass.Manifest, which requires declaring analysis.Manifest (and so
// keeps the rule out of admission, where provenance is gone). A rule that
// read inventory.Object's Source or NamespaceDefaulted directly would
// decide differently in the webhook than in the scan.
func TestProvenanceOnlyThroughPass(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "*", "*.go"))
	fset := token.NewFileSet()
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || strings.Contains(f, "rulestest") || strings.Contains(f, "ruledoc") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(file, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch sel.Sel.Name {
			case "NamespaceDefaulted":
				if inner, ok := sel.X.(*ast.CallExpr); ok {
					if fn, ok := inner.Fun.(*ast.SelectorExpr); ok && fn.Sel.Name == "Manifest" {
						return true // p.Manifest(obj).NamespaceDefaulted
					}
				}
				t.Errorf("%s: reads NamespaceDefaulted directly; use Pass.Manifest", fset.Position(sel.Pos()))
			case "File", "Cluster", "Origin":
				if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "Source" {
					t.Errorf("%s: reads an object's Source.%s directly; use Pass.Manifest", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
	}
	if checked < 50 {
		t.Fatalf("only %d rule files parsed", checked)
	}
}
