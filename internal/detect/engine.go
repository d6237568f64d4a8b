// Package detect is kguard's runtime detection rule language and engine:
// rules written in YAML with CEL conditions, over Kubernetes audit events
// today and process, file and network events from node sensors later.
//
// A rules file is a YAML sequence of items, each a rule, a list or a
// macro:
//
//   - list: shell_binaries
//     items: [sh, bash]
//   - macro: in_container
//     condition: process.container.id != ”
//   - rule: shell-in-container
//     desc: A shell started inside a container.
//     condition: in_container && process.comm in shell_binaries
//     output: "shell {process.comm} in {process.container.pod}"
//     severity: high
//     source: process
//     tags: [container, mitre_execution, T1059.004]
//     exceptions:
//   - {name: debug-images, field: process.container.image, values: [busybox]}
//
// Conditions see the variables k8s_audit, process, file, network and
// event_source, and every list by name. Macros are substituted textually,
// in parentheses. in_cidrs(ip, list) tests an IP against CIDRs.
package detect

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
	"github.com/kguard/kguard/internal/finding"
)

// Rule is a compiled rule.
type Rule struct {
	ID         string
	Desc       string
	Condition  string // as written
	Expanded   string // with macros substituted
	Output     string
	Severity   finding.Severity
	Tags       []string
	Source     string
	Exceptions []Exception
	Enabled    bool
	Action     Action
	File       string
	Line       int

	prg        cel.Program
	guards     guards // audit verb, resource and subresource required
	out        template
	exceptions []compiledException
	evalErrors atomic.Uint64
}

type compiledException struct {
	field  string
	values map[string]bool
}

// Action is what a node sensor does when a rule matches, besides alerting.
type Action string

// Actions. Kill is carried out only by a sensor with enforcement on.
const (
	ActionAlert Action = "alert"
	ActionKill  Action = "kill"
)

// Alert is a rule that matched an event.
type Alert struct {
	Rule     string
	Severity finding.Severity
	Action   Action
	Output   string
	Tags     []string
	Time     time.Time
	Source   string
	// Fields are the values of the output's placeholders, by field path.
	Fields map[string]string
	// Event is the event that matched, for ECS and other exports.
	Event Event
}

// ListInfo is a list as loaded (appends applied).
type ListInfo struct {
	Name  string
	Items []any
}

// RuleSet holds compiled rules; it is safe for concurrent Evaluate calls.
type RuleSet struct {
	rules    []*Rule
	bySource map[string][]*Rule
	// cache holds the audit rules by the verb, resource and subresource
	// they admit (see index.go); noIndex turns it off, for tests.
	mu        sync.RWMutex
	cache     map[guardKey][]*Rule
	noIndex   bool
	lists     map[string]ref.Val
	listItems []ListInfo
}

// SetEnabled turns a rule on or off.
func (rs *RuleSet) SetEnabled(id string, on bool) error {
	for _, r := range rs.rules {
		if r.ID == id {
			r.Enabled = on
			rs.index()
			return nil
		}
	}
	return fmt.Errorf("no rule %q", id)
}

// Lists returns the loaded lists.
func (rs *RuleSet) Lists() []ListInfo { return slices.Clone(rs.listItems) }

// Evaluate runs the enabled rules of the event's source and returns the
// alerts, in rule order. A rule whose condition fails to evaluate (for
// example a missing requestObject field not guarded with has() or ?.) does
// not match; EvalErrors counts those.
func (rs *RuleSet) Evaluate(ev Event) []Alert {
	src := ev.source()
	rl := rs.candidates(&ev, src)
	if len(rl) == 0 {
		return nil
	}
	act := newActivation(&ev, src, rs.lists)
	defer act.release()
	var alerts []Alert
	for _, r := range rl {
		out, _, err := r.prg.Eval(act)
		if err != nil {
			r.evalErrors.Add(1)
			continue
		}
		if out != types.True {
			continue
		}
		if r.excepted(act) {
			continue
		}
		text, fields := r.out.render(act)
		alerts = append(alerts, Alert{
			Rule: r.ID, Severity: r.Severity, Action: r.Action, Output: text, Tags: r.Tags,
			Time: ev.Time, Source: src, Fields: fields, Event: ev,
		})
	}
	return alerts
}

// EvalErrors returns how many times each rule's condition failed to
// evaluate, for rules with failures.
func (rs *RuleSet) EvalErrors() map[string]uint64 {
	m := map[string]uint64{}
	for _, r := range rs.rules {
		if n := r.evalErrors.Load(); n > 0 {
			m[r.ID] = n
		}
	}
	return m
}

func (r *Rule) excepted(act *activation) bool {
	for _, ex := range r.exceptions {
		v, ok := act.lookup(ex.field)
		if !ok {
			continue
		}
		for _, s := range valueStrings(v) {
			if ex.values[s] {
				return true
			}
		}
	}
	return false
}

// template is an output with {field.path} placeholders.
type template struct {
	literals []string // len(fields)+1
	fields   []string
}

func parseTemplate(s string) (template, error) {
	var t template
	rest := strings.TrimSpace(s)
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			if strings.IndexByte(rest, '}') >= 0 {
				return t, fmt.Errorf("unmatched '}'")
			}
			t.literals = append(t.literals, rest)
			return t, nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return t, fmt.Errorf("unclosed '{'")
		}
		f := strings.TrimSpace(rest[i+1 : i+j])
		if !validField(f) {
			return t, fmt.Errorf("unknown field {%s}", f)
		}
		t.literals = append(t.literals, rest[:i])
		t.fields = append(t.fields, f)
		rest = rest[i+j+1:]
	}
}

func (t template) render(act *activation) (string, map[string]string) {
	var b strings.Builder
	fields := make(map[string]string, len(t.fields))
	for i, f := range t.fields {
		b.WriteString(t.literals[i])
		v := "<NA>"
		if x, ok := act.lookup(f); ok {
			v = strings.Join(valueStrings(x), ",")
			if v == "" {
				v = "<NA>"
			}
		}
		fields[f] = v
		b.WriteString(v)
	}
	b.WriteString(t.literals[len(t.literals)-1])
	return b.String(), fields
}

// in_cidrs(ip, cidrs): whether ip (a string) is in one of the CIDRs (or
// equal to one of the plain addresses) of the list. An unparsable ip is in
// none; an unparsable CIDR is an evaluation error.
var inCIDRs = cel.Function("in_cidrs",
	cel.Overload("in_cidrs_string_list", []*cel.Type{cel.StringType, cel.ListType(cel.DynType)}, cel.BoolType,
		cel.BinaryBinding(func(ipv, listv ref.Val) ref.Val {
			s, ok := ipv.(types.String)
			if !ok {
				return types.MaybeNoSuchOverloadErr(ipv)
			}
			ip, err := netip.ParseAddr(string(s))
			if err != nil {
				return types.False
			}
			ip = ip.Unmap()
			l, ok := listv.(traits.Lister)
			if !ok {
				return types.MaybeNoSuchOverloadErr(listv)
			}
			for it := l.Iterator(); it.HasNext() == types.True; {
				c, ok := it.Next().(types.String)
				if !ok {
					return types.NewErr("in_cidrs: list item is not a string")
				}
				if p, err := netip.ParsePrefix(string(c)); err == nil {
					if p.Contains(ip) {
						return types.True
					}
					continue
				}
				a, err := netip.ParseAddr(string(c))
				if err != nil {
					return types.NewErr("in_cidrs: %q is not a CIDR or address", string(c))
				}
				if a.Unmap() == ip {
					return types.True
				}
			}
			return types.False
		})))

func stringsLib() []cel.EnvOption {
	return []cel.EnvOption{ext.Strings(ext.StringsVersion(2))}
}

// RuleInfo describes a rule for listings and documentation.
type RuleInfo struct {
	ID         string
	Desc       string
	Severity   finding.Severity
	Source     string
	Tags       []string
	MITRE      []string
	Condition  string
	Output     string
	Exceptions []Exception
	Enabled    bool
	Action     Action
	File       string
	Line       int
}

// Rules lists every loaded rule, enabled or not, in load order.
func (rs *RuleSet) Rules() []RuleInfo {
	out := make([]RuleInfo, 0, len(rs.rules))
	for _, r := range rs.rules {
		ri := RuleInfo{ID: r.ID, Desc: r.Desc, Severity: r.Severity, Source: r.Source, Tags: slices.Clone(r.Tags),
			Condition: r.Condition, Output: r.Output, Exceptions: slices.Clone(r.Exceptions), Enabled: r.Enabled,
			Action: r.Action, File: r.File, Line: r.Line}
		for _, t := range r.Tags {
			if mitreRE.MatchString(t) {
				ri.MITRE = append(ri.MITRE, t)
			}
		}
		out = append(out, ri)
	}
	return out
}

// Markdown documents a rule set: a summary table per source, then each
// rule's description, condition, output, tags and exceptions.
func Markdown(rs *RuleSet) string {
	var b strings.Builder
	b.WriteString("# Runtime detection rules\n\n")
	b.WriteString(languageDoc)
	writeFields(&b)
	infos := rs.Rules()
	for _, src := range sources {
		var rl []RuleInfo
		for _, r := range infos {
			if r.Source == src {
				rl = append(rl, r)
			}
		}
		if len(rl) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## Source `%s`\n\n| Rule | Severity | MITRE ATT&CK | Enabled |\n|---|---|---|---|\n", src)
		for _, r := range rl {
			fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %v |\n", r.ID, r.ID, r.Severity, strings.Join(r.MITRE, ", "), r.Enabled)
		}
		b.WriteString("\n")
		for _, r := range rl {
			fmt.Fprintf(&b, "### %s\n\n%s\n\n", r.ID, mdEscape(r.Desc))
			fmt.Fprintf(&b, "- Severity: %s\n- Tags: %s\n", r.Severity, strings.Join(r.Tags, ", "))
			if r.Action == ActionKill {
				b.WriteString("- Action: kill (with `kguard sensor --enforce`)\n")
			}
			for _, ex := range r.Exceptions {
				fmt.Fprintf(&b, "- Exception `%s`: `%s` in %s\n", ex.Name, ex.Field, strings.Join(ex.Values, ", "))
			}
			fmt.Fprintf(&b, "\nCondition:\n\n```cel\n%s\n```\n\nOutput: `%s`\n\n", r.Condition, r.Output)
		}
	}
	if lists := rs.Lists(); len(lists) > 0 {
		b.WriteString("## Lists\n\n")
		for _, l := range lists {
			items := make([]string, len(l.Items))
			for i, it := range l.Items {
				items[i] = fmt.Sprint(it)
			}
			fmt.Fprintf(&b, "- `%s`: %s\n", l.Name, strings.Join(items, ", "))
		}
	}
	return b.String()
}

// languageDoc introduces the rule language in the generated docs.
const languageDoc = `Rules are YAML lists of rules, lists and macros, loaded in order (the
defaults first, then each --rules file). Used by kguard audit watch (source
k8s_audit) and kguard sensor (sources process, file and network).

- ` + "`rule`" + `: the ID (lower case, digits, dashes); ` + "`desc`" + `; ` + "`severity`" + ` (info, low,
  medium, high, critical); ` + "`source`" + ` (k8s_audit when left out);
  ` + "`condition`" + `: a CEL expression over the fields below, the lists and the
  macros; ` + "`output`" + `: text with {field.path} placeholders; ` + "`tags`" + ` (MITRE ATT&CK
  technique IDs such as T1609 are exported as threat.technique.id);
  ` + "`exceptions`" + `: name, field and values for which the rule stays quiet;
  ` + "`enabled`" + ` (true when left out); ` + "`action`" + `: alert (default) or kill (sensor
  sources only, carried out with kguard sensor --enforce).
- ` + "`list`" + `: a name and items; with ` + "`append: true`" + ` the items are added to a list
  defined before (to extend a default list from your own file).
- ` + "`macro`" + `: a name and a condition, substituted where the name appears.
- Functions besides CEL's standard ones and its strings extension:
  in_cidrs(address, list of CIDRs).

`

// writeFields lists the event fields conditions and outputs may use.
func writeFields(b *strings.Builder) {
	b.WriteString("## Fields\n\n")
	paths := make([]string, 0, len(fieldPaths))
	for p := range fieldPaths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, src := range append(slices.Clone(sources), "event_source") {
		var fs []string
		for _, p := range paths {
			if p == src || strings.HasPrefix(p, src+".") {
				fs = append(fs, "`"+p+"`")
			}
		}
		if len(fs) > 0 {
			fmt.Fprintf(b, "- %s\n", strings.Join(fs, ", "))
		}
	}
	for _, p := range openPrefixes {
		fmt.Fprintf(b, "- `%s*`: any field below it, when the event has it\n", p)
	}
	b.WriteString("\n")
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "\n", " ") }
