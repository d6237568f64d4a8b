package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
)

// Audit rules are indexed by the verb, resource and subresource they
// require, so that an event is only offered to the rules that can match
// it. A requirement is read from the checked condition: a top-level
// conjunct `k8s_audit.verb == 'x'` or `k8s_audit.verb in ['x', 'y']` (and
// the same for objectRef.resource and objectRef.subresource). Since the
// conjunct must be true for the rule to match, skipping the rule for
// other values never changes the result (a test checks this against
// evaluating every rule).

var guardFields = [3]string{"k8s_audit.verb", "k8s_audit.objectRef.resource", "k8s_audit.objectRef.subresource"}

// guards holds, per guard field, the values a rule requires (nil: any).
type guards [3][]string

func (g *guards) admits(k guardKey) bool {
	for i, v := range [3]string{k.verb, k.resource, k.subresource} {
		if g[i] != nil && !slices.Contains(g[i], v) {
			return false
		}
	}
	return true
}

type guardKey struct{ verb, resource, subresource string }

func ruleGuards(ast *cel.Ast) guards {
	var g guards
	for i, f := range guardFields {
		g[i] = requiredValues(ast, f)
	}
	return g
}

// requiredValues returns the values a condition requires field to have,
// or nil when it requires none.
func requiredValues(ast *cel.Ast, field string) []string {
	var out []string
	found := false
	var walk func(e celast.Expr)
	walk = func(e celast.Expr) {
		if e.Kind() != celast.CallKind {
			return
		}
		call := e.AsCall()
		args := call.Args()
		switch call.FunctionName() {
		case operators.LogicalAnd:
			for _, a := range args {
				walk(a)
			}
		case operators.Equals:
			if len(args) == 2 && selectPath(args[0]) == field {
				if s, ok := stringLiteral(args[1]); ok && !found {
					found, out = true, []string{s}
				}
			}
		case operators.In:
			if len(args) == 2 && selectPath(args[0]) == field && args[1].Kind() == celast.ListKind && !found {
				var vals []string
				for _, el := range args[1].AsList().Elements() {
					s, ok := stringLiteral(el)
					if !ok {
						return
					}
					vals = append(vals, s)
				}
				found, out = true, vals
			}
		}
	}
	walk(ast.NativeRep().Expr())
	return out
}

func selectPath(e celast.Expr) string {
	switch e.Kind() {
	case celast.IdentKind:
		return e.AsIdent()
	case celast.SelectKind:
		s := e.AsSelect()
		if s.IsTestOnly() {
			return ""
		}
		p := selectPath(s.Operand())
		if p == "" {
			return ""
		}
		return p + "." + s.FieldName()
	}
	return ""
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// index builds the per-source rule slices, keeping load order, and
// resets the audit candidate cache.
func (rs *RuleSet) index() {
	rs.bySource = map[string][]*Rule{}
	for _, r := range rs.rules {
		if r.Enabled {
			rs.bySource[r.Source] = append(rs.bySource[r.Source], r)
		}
	}
	rs.mu.Lock()
	rs.cache = map[guardKey][]*Rule{}
	rs.mu.Unlock()
}

// maxCached bounds the candidate cache; a cluster has far fewer distinct
// verb/resource/subresource triples.
const maxCached = 8192

// candidates returns the enabled rules an event can match.
func (rs *RuleSet) candidates(ev *Event, src string) []*Rule {
	all := rs.bySource[src]
	if src != SourceK8sAudit || rs.noIndex || ev.K8sAudit == nil {
		return all
	}
	k := guardKey{verb: ev.K8sAudit.Verb}
	if ref := ev.K8sAudit.ObjectRef; ref != nil {
		k.resource, k.subresource = ref.Resource, ref.Subresource
	}
	rs.mu.RLock()
	rl, ok := rs.cache[k]
	rs.mu.RUnlock()
	if ok {
		return rl
	}
	rl = make([]*Rule, 0, 8)
	for _, r := range all {
		if r.guards.admits(k) {
			rl = append(rl, r)
		}
	}
	rs.mu.Lock()
	if len(rs.cache) < maxCached {
		rs.cache[k] = rl
	}
	rs.mu.Unlock()
	return rl
}

// unknownFields lists the event field paths a condition selects that do
// not exist (a typo would otherwise only fail at evaluation time, and the
// rule would silently never match), with their line:column.
func unknownFields(ast *cel.Ast) []string {
	var out []string
	info := ast.NativeRep().SourceInfo()
	celast.PostOrderVisit(ast.NativeRep().Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.SelectKind {
			return
		}
		s := e.AsSelect()
		p := selectPath(s.Operand())
		root, _, _ := strings.Cut(p, ".")
		if p == "" || !reserved[root] || reserved[p+"."+s.FieldName()] {
			return
		}
		if path := p + "." + s.FieldName(); !validField(path) {
			loc := info.GetStartLocation(e.ID())
			out = append(out, fmt.Sprintf("%d:%d: unknown field %s", loc.Line(), loc.Column()+2, path))
		}
	}))
	return out
}
