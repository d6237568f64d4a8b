// Package auditpolicy reads Kubernetes API server audit policies
// (audit.k8s.io/v1 Policy) and predicts, with the API server's own
// first-match semantics, at which level a request is recorded.
//
// The policy is decoded into small local types; k8s.io/apiserver is not
// imported.
package auditpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	kjson "sigs.k8s.io/json"
	sigsyaml "sigs.k8s.io/yaml"
)

// Level is how much of a request the audit log records.
type Level string

// The audit levels, from least to most detail.
const (
	LevelNone            Level = "None"
	LevelMetadata        Level = "Metadata"
	LevelRequest         Level = "Request"
	LevelRequestResponse Level = "RequestResponse"
)

// Rank orders levels: None 0, Metadata 1, Request 2, RequestResponse 3;
// -1 for an unknown level.
func (l Level) Rank() int {
	switch l {
	case LevelNone:
		return 0
	case LevelMetadata:
		return 1
	case LevelRequest:
		return 2
	case LevelRequestResponse:
		return 3
	}
	return -1
}

// AtLeast reports whether l records at least as much as o.
func (l Level) AtLeast(o Level) bool { return l.Rank() >= o.Rank() }

// Stage is a point in a request's life at which an event may be written.
type Stage string

// The audit stages.
const (
	StageRequestReceived  Stage = "RequestReceived"
	StageResponseStarted  Stage = "ResponseStarted"
	StageResponseComplete Stage = "ResponseComplete"
	StagePanic            Stage = "Panic"
)

var validStages = []Stage{StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic}

// APIVersion and Kind identify an audit policy.
const (
	APIVersion = "audit.k8s.io/v1"
	Kind       = "Policy"
	Group      = "audit.k8s.io"
)

// Policy is an audit.k8s.io/v1 Policy.
type Policy struct {
	APIVersion        string  `json:"apiVersion" yaml:"apiVersion"`
	Kind              string  `json:"kind" yaml:"kind"`
	Metadata          any     `json:"metadata,omitempty" yaml:"metadata,omitempty"`
	Rules             []Rule  `json:"rules" yaml:"rules"`
	OmitStages        []Stage `json:"omitStages,omitempty" yaml:"omitStages,omitempty"`
	OmitManagedFields bool    `json:"omitManagedFields,omitempty" yaml:"omitManagedFields,omitempty"`
}

// Rule is one entry of a policy's rules. A rule matches a request when
// every field it sets matches.
type Rule struct {
	Level           Level            `json:"level" yaml:"level"`
	Users           []string         `json:"users,omitempty" yaml:"users,omitempty"`
	UserGroups      []string         `json:"userGroups,omitempty" yaml:"userGroups,omitempty"`
	Verbs           []string         `json:"verbs,omitempty" yaml:"verbs,omitempty"`
	Resources       []GroupResources `json:"resources,omitempty" yaml:"resources,omitempty"`
	Namespaces      []string         `json:"namespaces,omitempty" yaml:"namespaces,omitempty"`
	NonResourceURLs []string         `json:"nonResourceURLs,omitempty" yaml:"nonResourceURLs,omitempty"`
	OmitStages      []Stage          `json:"omitStages,omitempty" yaml:"omitStages,omitempty"`
	// OmitManagedFields overrides the policy's setting when set.
	OmitManagedFields *bool `json:"omitManagedFields,omitempty" yaml:"omitManagedFields,omitempty"`

	// Line is the rule's line in the file it was parsed from (0 when not
	// known, as for policies read from an inventory object).
	Line int `json:"-" yaml:"-"`
}

// GroupResources selects resources of one API group ("" is the core group).
type GroupResources struct {
	Group         string   `json:"group" yaml:"group"`
	Resources     []string `json:"resources,omitempty" yaml:"resources,omitempty"`
	ResourceNames []string `json:"resourceNames,omitempty" yaml:"resourceNames,omitempty"`
}

// MatchesEverything reports whether the rule sets no condition at all.
func (r *Rule) MatchesEverything() bool {
	return len(r.Users) == 0 && len(r.UserGroups) == 0 && len(r.Verbs) == 0 && len(r.Resources) == 0 &&
		len(r.Namespaces) == 0 && len(r.NonResourceURLs) == 0
}

// Error is a problem with a policy, with its line when known.
type Error struct {
	Line int
	// Field is the path of the offending field, such as "rules[2].level".
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Parse reads a policy file, YAML or JSON, decoded as the API server
// decodes its --audit-policy-file (YAML 1.1 through sigs.k8s.io/yaml, the
// same reading every kguard input gets). Unknown and duplicate fields are
// errors. Errors are *Error values with the line of the problem, or of the
// rule it is in. All validation problems are returned, joined.
func Parse(data []byte) (*Policy, error) {
	var node yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&node); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Msg: "empty file: want an audit.k8s.io/v1 Policy"}
		}
		return nil, yamlError(err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil && len(more.Content) > 0 {
		return nil, &Error{Line: more.Line, Msg: "more than one YAML document: an audit policy file holds one Policy"}
	}
	js, err := sigsyaml.YAMLToJSON(data)
	if err != nil {
		return nil, lineError(err.Error())
	}
	return decode(js, linesOf(&node))
}

// Decode reads a policy from an object the input pipeline decoded (an
// unstructured object's content), strictly. doc, when not nil, is the YAML
// document it came from: it gives errors and rules their lines.
func Decode(obj map[string]any, doc []byte) (*Policy, error) {
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	var lines map[string]int
	if doc != nil {
		var node yaml.Node
		if yaml.Unmarshal(doc, &node) == nil {
			lines = linesOf(&node)
		}
	}
	return decode(js, lines)
}

// decode is the strict decoding and validation of a policy's JSON; lines
// map field paths ("rules[1].level") to lines.
func decode(js []byte, lines map[string]int) (*Policy, error) {
	p := &Policy{}
	strictErrs, err := kjson.UnmarshalStrict(js, p, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err != nil {
		return nil, &Error{Msg: strings.TrimPrefix(err.Error(), "json: ")}
	}
	if len(strictErrs) > 0 {
		var errs []error
		for _, e := range strictErrs {
			msg := e.Error()
			field := ""
			if _, rest, ok := strings.Cut(msg, " field "); ok {
				field = strings.Trim(rest, `"`)
				msg = strings.Replace(msg, rest, strconv.Quote(lastField(field)), 1)
			}
			errs = append(errs, &Error{Line: lineOf(lines, field), Msg: msg})
		}
		return nil, errors.Join(errs...)
	}
	for i := range p.Rules {
		p.Rules[i].Line = lines[fmt.Sprintf("rules[%d]", i)]
	}
	if errs := p.Validate(); len(errs) > 0 {
		return p, errors.Join(errs...)
	}
	return p, nil
}

// lastField is the last name of a field path: "verb" of "rules[1].verb".
func lastField(path string) string {
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[i+1:]
	}
	return path
}

// lineOf is the line of the field path, or of the nearest enclosing field
// that has one.
func lineOf(lines map[string]int, field string) int {
	for field != "" {
		if n, ok := lines[field]; ok {
			return n
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

// yamlError turns a YAML error into an *Error, moving its line to Line.
func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		var errs []error
		for _, m := range te.Errors {
			errs = append(errs, lineError(m))
		}
		return errors.Join(errs...)
	}
	return lineError(err.Error())
}

// lineError parses "yaml: line N: msg" or "line N: msg".
func lineError(s string) *Error {
	s = strings.TrimPrefix(s, "yaml: ")
	s = strings.TrimPrefix(s, "error converting YAML to JSON: yaml: ")
	var n int
	if _, err := fmt.Sscanf(s, "line %d:", &n); err == nil {
		if _, rest, ok := strings.Cut(s, ": "); ok {
			return &Error{Line: n, Msg: rest}
		}
	}
	return &Error{Msg: s}
}

// linesOf maps every field path of a YAML document to its line: the line
// of the key for mapping fields, of the item for sequence items.
func linesOf(doc *yaml.Node) map[string]int {
	lines := map[string]int{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := n.Content[i].Value
				if path != "" {
					p = path + "." + p
				}
				lines[p] = n.Content[i].Line
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				lines[p] = c.Line
				walk(c, p)
			}
		}
	}
	walk(doc, "")
	return lines
}

// FromMap reads a policy from a decoded object without lines; the policy
// is not validated beyond strict decoding.
func FromMap(obj map[string]any) (*Policy, error) {
	js, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	p := &Policy{}
	strictErrs, err := kjson.UnmarshalStrict(js, p, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
	if err == nil && len(strictErrs) > 0 {
		err = errors.Join(strictErrs...)
	}
	if err != nil {
		return nil, &Error{Msg: err.Error()}
	}
	return p, nil
}

// Validate checks the policy as the API server does when it loads it.
func (p *Policy) Validate() []error {
	var errs []error
	add := func(line int, field, format string, args ...any) {
		errs = append(errs, &Error{Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if p.APIVersion != APIVersion {
		add(0, "apiVersion", "%q is not supported: want %s", p.APIVersion, APIVersion)
	}
	if p.Kind != Kind {
		add(0, "kind", "%q: want %s", p.Kind, Kind)
	}
	if len(p.Rules) == 0 {
		add(0, "rules", "a policy needs at least one rule (the API server refuses a policy without rules)")
	}
	checkStages := func(line int, field string, stages []Stage) {
		for i, s := range stages {
			if !validStage(s) {
				add(line, fmt.Sprintf("%s[%d]", field, i), "unknown stage %q: want one of %s", s, joinStages(validStages))
			}
		}
	}
	checkStages(0, "omitStages", p.OmitStages)
	for i := range p.Rules {
		r := &p.Rules[i]
		f := fmt.Sprintf("rules[%d]", i)
		if r.Level.Rank() < 0 {
			if r.Level == "" {
				add(r.Line, f+".level", "missing: want None, Metadata, Request or RequestResponse")
			} else {
				add(r.Line, f+".level", "unknown level %q: want None, Metadata, Request or RequestResponse", r.Level)
			}
		}
		checkStages(r.Line, f+".omitStages", r.OmitStages)
		if len(r.NonResourceURLs) > 0 && (len(r.Resources) > 0 || len(r.Namespaces) > 0) {
			add(r.Line, f+".nonResourceURLs", "rules may not apply to both resources and non-resource URLs")
		}
		for j, u := range r.NonResourceURLs {
			switch {
			case u == "*":
			case !strings.HasPrefix(u, "/"):
				add(r.Line, fmt.Sprintf("%s.nonResourceURLs[%d]", f, j), "%q must start with / (or be *)", u)
			case strings.Contains(strings.TrimSuffix(u, "*"), "*"):
				add(r.Line, fmt.Sprintf("%s.nonResourceURLs[%d]", f, j), "%q: only a trailing * is allowed", u)
			}
		}
		for j, gr := range r.Resources {
			gf := fmt.Sprintf("%s.resources[%d]", f, j)
			if len(gr.ResourceNames) > 0 && len(gr.Resources) == 0 {
				add(r.Line, gf+".resourceNames", "resourceNames need resources")
			}
			for k, res := range gr.Resources {
				if res == "" {
					add(r.Line, fmt.Sprintf("%s.resources[%d]", gf, k), "empty resource")
				}
				if strings.Count(res, "/") > 1 {
					add(r.Line, fmt.Sprintf("%s.resources[%d]", gf, k), "%q: want resource, resource/subresource, */subresource or resource/*", res)
				}
			}
		}
	}
	return errs
}

func validStage(s Stage) bool {
	for _, v := range validStages {
		if s == v {
			return true
		}
	}
	return false
}

func joinStages(ss []Stage) string {
	var out []string
	for _, s := range ss {
		out = append(out, string(s))
	}
	return strings.Join(out, ", ")
}
