package rules

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/kguard/kguard/internal/finding"
)

// Registry is the validated set of rules one kguard build offers. It is an
// ordinary value built from explicit lists, never a global filled by init().
type Registry struct {
	rules []*Rule
	byID  map[string]*Rule
}

var idPattern = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)

// NewRegistry builds a registry from rule lists (one per family) and
// validates every rule; all problems are returned together.
func NewRegistry(lists ...[]*Rule) (*Registry, error) {
	r := &Registry{byID: make(map[string]*Rule)}
	var errs []error
	for _, list := range lists {
		for _, rule := range list {
			if err := Validate(rule); err != nil {
				errs = append(errs, err)
				continue
			}
			if _, dup := r.byID[rule.ID]; dup {
				errs = append(errs, fmt.Errorf("rule %s: duplicate ID", rule.ID))
				continue
			}
			r.byID[rule.ID] = rule
			r.rules = append(r.rules, rule)
		}
	}
	order := map[finding.Category]int{}
	for i, c := range finding.AllCategories() {
		order[c] = i
	}
	slices.SortFunc(r.rules, func(a, b *Rule) int {
		return cmp.Or(cmp.Compare(order[a.Category], order[b.Category]), cmp.Compare(a.ID, b.ID))
	})
	return r, errors.Join(errs...)
}

// Validate checks one rule's metadata: a well-formed ID, a known category,
// the texts users rely on, at least one reference and exactly one check.
func Validate(r *Rule) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !idPattern.MatchString(r.ID) {
		bad("ID must be lower-case words joined by '-'")
	}
	if !r.Category.Valid() {
		bad("unknown category %q", r.Category)
	}
	if r.Severity < finding.SeverityInfo || r.Severity > finding.SeverityCritical {
		bad("invalid severity %d", int(r.Severity))
	}
	if r.Title == "" {
		bad("missing title")
	}
	if r.Rationale == "" {
		bad("missing rationale")
	}
	if r.Remediation == "" {
		bad("missing remediation")
	}
	if r.References.Empty() {
		bad("no references")
	}
	checks := 0
	for _, set := range []bool{r.CheckWorkload != nil, r.CheckObject != nil, r.CheckInventory != nil} {
		if set {
			checks++
		}
	}
	if checks != 1 {
		bad("must set exactly one of CheckWorkload, CheckObject, CheckInventory (has %d)", checks)
	}
	if len(r.Kinds) > 0 && r.CheckObject == nil {
		bad("Kinds only applies to CheckObject")
	}
	seen := map[string]bool{}
	for _, k := range r.Requires {
		switch {
		case k == nil:
			bad("nil requirement")
		case seen[k.AnalysisName()]:
			bad("requirement %s listed twice", k.AnalysisName())
		}
		if k != nil {
			seen[k.AnalysisName()] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rule %q: %w", r.ID, err)
	}
	return nil
}

// Rules returns all rules ordered by category, then ID.
func (r *Registry) Rules() []*Rule { return r.rules }

// Get looks a rule up by ID.
func (r *Registry) Get(id string) (*Rule, bool) {
	rule, ok := r.byID[id]
	return rule, ok
}

// Len is the number of rules.
func (r *Registry) Len() int { return len(r.rules) }
