package detect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/kguard/kguard/internal/finding"
	yaml "go.yaml.in/yaml/v3"
)

// LoadError is a problem in a rules file, with the line of the item (or
// field) it is about and the rule, list or macro it is in.
type LoadError struct {
	File string
	Line int
	// Item is "rule X", "macro X" or "list X" when known.
	Item string
	Msg  string
}

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Item != "" {
		b.WriteString(e.Item + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Source is a rules file's name and content.
type Source struct {
	Name string
	Data []byte
}

// Exception suppresses a rule's alert when Field's value (or, for a list
// field, any element) is one of Values.
type Exception struct {
	Name   string   `yaml:"name"`
	Field  string   `yaml:"field"`
	Values []string `yaml:"values"`
}

type ruleDoc struct {
	Rule       string      `yaml:"rule"`
	Desc       string      `yaml:"desc"`
	Condition  string      `yaml:"condition"`
	Output     string      `yaml:"output"`
	Severity   string      `yaml:"severity"`
	Tags       []string    `yaml:"tags"`
	Source     string      `yaml:"source"`
	Exceptions []Exception `yaml:"exceptions"`
	Enabled    *bool       `yaml:"enabled"`
	Action     string      `yaml:"action"`
}

type listDoc struct {
	List   string `yaml:"list"`
	Items  []any  `yaml:"items"`
	Append bool   `yaml:"append"`
}

type macroDoc struct {
	Macro     string `yaml:"macro"`
	Condition string `yaml:"condition"`
}

var knownKeys = map[string][]string{
	"rule":  {"rule", "desc", "condition", "output", "severity", "tags", "source", "exceptions", "enabled", "action"},
	"list":  {"list", "items", "append"},
	"macro": {"macro", "condition"},
}

type pos struct {
	file string
	line int
}

type macroDef struct {
	macroDoc
	pos
	condLine int
}

type listDef struct {
	name  string
	items []any
	pos
}

type ruleDef struct {
	ruleDoc
	pos
	condLine int
	keyLines map[string]int
}

// Load reads rules files (YAML) and compiles their rules. Errors are
// *LoadError values, joined; a rule with an error is skipped and the
// others are still loaded, so the RuleSet is non-nil unless no file could
// be read.
func Load(files ...string) (*RuleSet, error) {
	var srcs []Source
	var errs []error
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, &LoadError{File: f, Msg: err.Error()})
			continue
		}
		srcs = append(srcs, Source{Name: f, Data: b})
	}
	rs, err := LoadSources(srcs...)
	if err != nil {
		errs = append(errs, err)
	}
	return rs, errors.Join(errs...)
}

// LoadSources is Load for content already in memory. Later sources see
// the lists and macros of earlier ones; a list with append: true extends
// the list of the same name.
func LoadSources(srcs ...Source) (*RuleSet, error) {
	var errs []error
	fail := func(p pos, item, format string, args ...any) {
		errs = append(errs, &LoadError{File: p.file, Line: p.line, Item: item, Msg: fmt.Sprintf(format, args...)})
	}
	lists := map[string]*listDef{}
	var listOrder []string
	macros := map[string]*macroDef{}
	var ruleDefs []*ruleDef

	for _, src := range srcs {
		dec := yaml.NewDecoder(bytes.NewReader(src.Data))
		for {
			var doc yaml.Node
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				line, msg := yamlLine(err)
				fail(pos{src.Name, line}, "", "%s", msg)
				break
			}
			if len(doc.Content) == 0 {
				continue
			}
			root := doc.Content[0]
			items := []*yaml.Node{root}
			if root.Kind == yaml.SequenceNode {
				items = root.Content
			}
			for _, it := range items {
				p := pos{src.Name, it.Line}
				if it.Kind != yaml.MappingNode {
					fail(p, "", "want a mapping with rule, list or macro")
					continue
				}
				kind, name, keyLines := "", "", map[string]int{}
				for i := 0; i+1 < len(it.Content); i += 2 {
					k := it.Content[i].Value
					keyLines[k] = it.Content[i].Line
					if _, ok := knownKeys[k]; ok && kind == "" {
						kind, name = k, it.Content[i+1].Value
					}
				}
				if kind == "" {
					fail(p, "", "want a mapping with rule, list or macro")
					continue
				}
				item := kind + " " + name
				bad := false
				for k, l := range keyLines {
					if !slices.Contains(knownKeys[kind], k) {
						fail(pos{src.Name, l}, item, "unknown field %q (want one of %s)", k, strings.Join(knownKeys[kind], ", "))
						bad = true
					}
				}
				if bad {
					continue
				}
				if name == "" {
					fail(p, "", "%s has no name", kind)
					continue
				}
				condLine := keyLines["condition"]
				switch kind {
				case "list":
					var d listDoc
					if err := it.Decode(&d); err != nil {
						fail(p, item, "%s", yamlMsg(err))
						continue
					}
					if old, ok := lists[d.List]; ok {
						if d.Append {
							old.items = append(old.items, d.Items...)
						} else {
							fail(p, item, "list already defined at %s:%d (use append: true to extend it)", old.file, old.line)
						}
						continue
					}
					if d.Append {
						fail(p, item, "append: true but no earlier list of that name")
						continue
					}
					lists[d.List] = &listDef{name: d.List, items: d.Items, pos: p}
					listOrder = append(listOrder, d.List)
				case "macro":
					var d macroDoc
					if err := it.Decode(&d); err != nil {
						fail(p, item, "%s", yamlMsg(err))
						continue
					}
					if old, ok := macros[d.Macro]; ok {
						fail(p, item, "macro already defined at %s:%d", old.file, old.line)
						continue
					}
					if strings.TrimSpace(d.Condition) == "" {
						fail(p, item, "no condition")
						continue
					}
					macros[d.Macro] = &macroDef{macroDoc: d, pos: p, condLine: condLine}
				case "rule":
					var d ruleDoc
					if err := it.Decode(&d); err != nil {
						fail(p, item, "%s", yamlMsg(err))
						continue
					}
					ruleDefs = append(ruleDefs, &ruleDef{ruleDoc: d, pos: p, condLine: condLine, keyLines: keyLines})
				}
			}
		}
	}

	rs := &RuleSet{lists: map[string]ref.Val{}, bySource: map[string][]*Rule{}}
	// Lists become CEL variables, typed by their items.
	listTypes := map[string]*cel.Type{}
	for _, name := range listOrder {
		l := lists[name]
		if !identRE.MatchString(name) || reserved[name] {
			fail(l.pos, "list "+name, "list name must be an identifier and not a variable name")
			continue
		}
		elem := itemType(l.items)
		listTypes[name] = cel.ListType(elem)
		rs.lists[name] = adapter.NativeToValue(l.items)
		rs.listItems = append(rs.listItems, ListInfo{Name: name, Items: l.items})
	}
	check, err := newEnv(listTypes, macros)
	if err != nil {
		return nil, err
	}
	env, err := newEnv(listTypes, nil)
	if err != nil {
		return nil, err
	}
	// Macros: each must compile on its own (other macros seen as values)
	// and expand without cycles.
	expanded := map[string]string{}
	badMacro := map[string]bool{}
	macroNames := make([]string, 0, len(macros))
	for n := range macros {
		macroNames = append(macroNames, n)
	}
	slices.Sort(macroNames)
	for _, n := range macroNames {
		m := macros[n]
		item := "macro " + n
		if !identRE.MatchString(n) || reserved[n] || listTypes[n] != nil {
			fail(m.pos, item, "macro name must be an identifier, not a variable or list name")
			badMacro[n] = true
			continue
		}
		ast, iss := check.Compile(m.Condition)
		if iss.Err() != nil {
			fail(pos{m.file, m.condLine}, item, "condition: %s", celMsg(iss.Err()))
			badMacro[n] = true
			continue
		}
		if bad := unknownFields(ast); len(bad) > 0 {
			fail(pos{m.file, m.condLine}, item, "condition line %s", strings.Join(bad, "; "))
			badMacro[n] = true
			continue
		}
		if _, err := expand(m.Condition, macros, expanded, nil); err != nil {
			fail(pos{m.file, m.condLine}, item, "%s", err)
			badMacro[n] = true
		}
	}

	seen := map[string]pos{}
	for _, d := range ruleDefs {
		item := "rule " + d.Rule
		line := func(key string) pos {
			if l, ok := d.keyLines[key]; ok {
				return pos{d.file, l}
			}
			return d.pos
		}
		if old, ok := seen[d.Rule]; ok {
			fail(d.pos, item, "duplicate rule ID (first defined at %s:%d)", old.file, old.line)
			continue
		}
		seen[d.Rule] = d.pos
		r, ok := buildRule(d, check, env, macros, expanded, badMacro, func(key, format string, args ...any) {
			fail(line(key), item, format, args...)
		})
		if !ok {
			continue
		}
		rs.rules = append(rs.rules, r)
	}
	rs.index()
	return rs, errors.Join(sortErrors(errs, srcs)...)
}

// sortErrors orders errors by file (in load order) and line.
func sortErrors(errs []error, srcs []Source) []error {
	order := map[string]int{}
	for i, s := range srcs {
		if _, ok := order[s.Name]; !ok {
			order[s.Name] = i
		}
	}
	slices.SortStableFunc(errs, func(a, b error) int {
		x, y := a.(*LoadError), b.(*LoadError)
		if d := order[x.File] - order[y.File]; d != 0 {
			return d
		}
		return x.Line - y.Line
	})
	return errs
}

var (
	identRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	idRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	mitreRE  = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
	reserved = map[string]bool{"k8s_audit": true, "process": true, "file": true, "network": true, "event_source": true,
		"true": true, "false": true, "null": true, "in": true}
)

func itemType(items []any) *cel.Type {
	var t *cel.Type
	for _, it := range items {
		var et *cel.Type
		switch it.(type) {
		case string:
			et = cel.StringType
		case int:
			et = cel.IntType
		default:
			return cel.DynType
		}
		if t != nil && t != et {
			return cel.DynType
		}
		t = et
	}
	if t == nil {
		return cel.DynType
	}
	return t
}

func buildRule(d *ruleDef, check, env *cel.Env, macros map[string]*macroDef, expanded map[string]string, badMacro map[string]bool,
	fail func(key, format string, args ...any)) (*Rule, bool) {
	ok := true
	bad := func(key, format string, args ...any) { fail(key, format, args...); ok = false }
	if !idRE.MatchString(d.Rule) {
		bad("rule", "rule ID must be lower case letters, digits and dashes")
	}
	if strings.TrimSpace(d.Desc) == "" {
		bad("rule", "no desc")
	}
	if strings.TrimSpace(d.Output) == "" {
		bad("rule", "no output")
	}
	sev, err := finding.ParseSeverity(d.Severity)
	if err != nil {
		bad("severity", "%s", err)
	}
	src := d.Source
	if src == "" {
		src = SourceK8sAudit
	}
	if !slices.Contains(sources, src) {
		bad("source", "unknown source %q (want one of %s)", src, strings.Join(sources, ", "))
	}
	action := Action(d.Action)
	switch action {
	case "":
		action = ActionAlert
	case ActionAlert:
	case ActionKill:
		if src == SourceK8sAudit {
			bad("action", "action kill needs a node sensor source (process, file or network), not %s", src)
		}
	default:
		bad("action", "unknown action %q (want alert or kill)", d.Action)
	}
	out, err := parseTemplate(d.Output)
	if err != nil {
		bad("output", "output: %s", err)
	}
	for i, ex := range d.Exceptions {
		if ex.Name == "" {
			bad("exceptions", "exceptions[%d]: no name", i)
		}
		if !validField(ex.Field) {
			bad("exceptions", "exceptions[%d] (%s): unknown field %q", i, ex.Name, ex.Field)
		}
		if len(ex.Values) == 0 {
			bad("exceptions", "exceptions[%d] (%s): no values", i, ex.Name)
		}
	}
	if strings.TrimSpace(d.Condition) == "" {
		bad("rule", "no condition")
		return nil, false
	}
	// Compile the condition as written first, so errors point into it.
	raw, iss := check.Compile(d.Condition)
	if iss.Err() != nil {
		bad("condition", "condition: %s", celMsg(iss.Err()))
		return nil, false
	}
	if u := unknownFields(raw); len(u) > 0 {
		bad("condition", "condition line %s", strings.Join(u, "; "))
	}
	for _, id := range idents(d.Condition) {
		if badMacro[id] {
			bad("condition", "uses macro %q, which has errors", id)
		}
	}
	if !ok {
		return nil, false
	}
	full, err := expand(d.Condition, macros, expanded, nil)
	if err != nil {
		bad("condition", "%s", err)
		return nil, false
	}
	ast, iss := env.Compile(full)
	if iss.Err() != nil {
		bad("condition", "condition after macro expansion: %s", celMsg(iss.Err()))
		return nil, false
	}
	if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
		bad("condition", "condition is %s, want bool", ast.OutputType())
		return nil, false
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		bad("condition", "%s", err)
		return nil, false
	}
	enabled := d.Enabled == nil || *d.Enabled
	r := &Rule{
		ID: d.Rule, Desc: strings.TrimSpace(d.Desc), Condition: strings.TrimSpace(d.Condition), Expanded: full,
		Output: strings.TrimSpace(d.Output), Severity: sev, Tags: d.Tags, Source: src, Exceptions: d.Exceptions,
		Enabled: enabled, Action: action, File: d.file, Line: d.line,
		prg: prg, out: out,
	}
	if src == SourceK8sAudit {
		r.guards = ruleGuards(ast)
	}
	r.exceptions = make([]compiledException, len(d.Exceptions))
	for i, ex := range d.Exceptions {
		set := make(map[string]bool, len(ex.Values))
		for _, v := range ex.Values {
			set[v] = true
		}
		r.exceptions[i] = compiledException{field: ex.Field, values: set}
	}
	return r, true
}

// newEnv declares the event variables, the lists and, for checking
// conditions as written, the macros (as dyn values).
func newEnv(lists map[string]*cel.Type, macros map[string]*macroDef) (*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.Variable("k8s_audit", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("process", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("file", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("network", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("event_source", cel.StringType),
		cel.OptionalTypes(),
		inCIDRs,
	}
	for n, t := range lists {
		opts = append(opts, cel.Variable(n, t))
	}
	for n := range macros {
		if lists[n] == nil && !reserved[n] {
			opts = append(opts, cel.Variable(n, cel.DynType))
		}
	}
	opts = append(opts, stringsLib()...)
	return cel.NewEnv(opts...)
}

// expand replaces macro names by their (expanded) conditions in
// parentheses. stack holds the macros being expanded, to detect cycles.
func expand(cond string, macros map[string]*macroDef, done map[string]string, stack []string) (string, error) {
	var b strings.Builder
	last := 0
	for _, m := range identSpans(cond) {
		name := cond[m[0]:m[1]]
		md, ok := macros[name]
		if !ok {
			continue
		}
		body, ok := done[name]
		if !ok {
			if slices.Contains(stack, name) {
				return "", fmt.Errorf("macro cycle: %s -> %s", strings.Join(stack, " -> "), name)
			}
			var err error
			body, err = expand(md.Condition, macros, done, append(stack, name))
			if err != nil {
				return "", err
			}
			done[name] = body
		}
		b.WriteString(cond[last:m[0]])
		b.WriteString("(" + strings.TrimSpace(body) + ")")
		last = m[1]
	}
	b.WriteString(cond[last:])
	return b.String(), nil
}

func idents(cond string) []string {
	var out []string
	for _, m := range identSpans(cond) {
		out = append(out, cond[m[0]:m[1]])
	}
	return out
}

// identSpans finds the identifiers of an expression that can name a
// macro: outside string literals, not selected fields (after '.') and not
// function calls (before '(').
func identSpans(s string) [][2]int {
	var out [][2]int
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\'':
			i = skipString(s, i)
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			prev := i - 1
			for prev >= 0 && (s[prev] == ' ' || s[prev] == '\t' || s[prev] == '\n') {
				prev--
			}
			next := j
			for next < len(s) && (s[next] == ' ' || s[next] == '\t' || s[next] == '\n') {
				next++
			}
			isField := prev >= 0 && (s[prev] == '.' || (s[prev] == '?' && prev > 0 && s[prev-1] == '.'))
			isCall := next < len(s) && s[next] == '('
			// r'..', b'..' string prefixes
			if j < len(s) && (s[j] == '\'' || s[j] == '"') && j-i <= 2 {
				i = skipString(s, j)
				continue
			}
			if !isField && !isCall {
				out = append(out, [2]int{i, j})
			}
			i = j
		case c >= '0' && c <= '9':
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
		default:
			i++
		}
	}
	return out
}

func skipString(s string, i int) int {
	q := s[i]
	if strings.HasPrefix(s[i:], strings.Repeat(string(q), 3)) {
		end := strings.Index(s[i+3:], strings.Repeat(string(q), 3))
		if end < 0 {
			return len(s)
		}
		return i + 3 + end + 3
	}
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return len(s)
}

func isIdentStart(c byte) bool { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isIdentChar(c byte) bool  { return isIdentStart(c) || (c >= '0' && c <= '9') }

// celMsg flattens a CEL error, whose positions are <input>:line:col in
// the condition text, and names undeclared references as undefined
// macros or lists.
var undeclaredRE = regexp.MustCompile(`undeclared reference to '([^']+)'`)

func celMsg(err error) string {
	msg := strings.ReplaceAll(err.Error(), "<input>:", "condition line ")
	msg = undeclaredRE.ReplaceAllString(msg, "undefined macro or list '$1'")
	msg = strings.ReplaceAll(msg, " (in container '')", "")
	return strings.TrimPrefix(msg, "ERROR: ")
}

// yamlLine splits "yaml: line N: msg".
func yamlLine(err error) (int, string) {
	msg := yamlMsg(err)
	var n int
	if _, e := fmt.Sscanf(msg, "line %d:", &n); e == nil {
		_, rest, _ := strings.Cut(msg, ": ")
		return n, rest
	}
	return 0, msg
}

func yamlMsg(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// Engine-facing types live in engine.go; this keeps types referenced.
var _ = types.True
