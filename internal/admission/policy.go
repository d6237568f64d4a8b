package admission

import (
	"fmt"
	"os"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

// ModeLabel is the namespace label choosing how kguard enforces there.
const ModeLabel = "kguard.io/enforce"

// Mode is how strictly a namespace is enforced.
type Mode string

// Modes, from strictest to none.
const (
	// ModeRestricted denies findings of medium severity and above.
	ModeRestricted Mode = "restricted"
	// ModeBaseline denies findings of high severity and above, except the
	// Pod Security Standards' restricted-level checks, which only warn.
	ModeBaseline Mode = "baseline"
	// ModeAudit never denies: every finding is a warning.
	ModeAudit Mode = "audit"
	// ModeOff skips evaluation.
	ModeOff Mode = "off"
)

// ParseMode accepts a mode name.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case ModeRestricted, ModeBaseline, ModeAudit, ModeOff:
		return m, nil
	}
	return "", fmt.Errorf("unknown mode %q (want restricted, baseline, audit or off)", s)
}

// Action is what a rule's finding does at admission.
type Action string

// Actions a policy file may give a rule.
const (
	ActionDeny  Action = "deny"
	ActionWarn  Action = "warn"
	ActionAudit Action = "audit"
)

// Policy overrides, per rule, what the mode would do. Loaded from the file
// given with --policy:
//
//	rules:
//	  image-latest-tag: deny
//	  container-resource-limits-missing: audit
type Policy struct {
	Rules map[string]Action `yaml:"rules"`
}

// LoadPolicy reads and checks a policy file against the registry.
func LoadPolicy(file string, reg *rules.Registry) (*Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	var p Policy
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("policy %s: %w", file, err)
	}
	for id, a := range p.Rules {
		if _, ok := reg.Get(id); !ok {
			return nil, fmt.Errorf("policy %s: unknown rule %q", file, id)
		}
		switch a {
		case ActionDeny, ActionWarn, ActionAudit:
		default:
			return nil, fmt.Errorf("policy %s: rule %s: unknown action %q (want deny, warn or audit)", file, id, a)
		}
	}
	return &p, nil
}

// Verdict is the outcome of Decide.
type Verdict struct {
	Denied   []finding.Finding
	Warnings []finding.Finding
	// Audited findings are only logged and counted.
	Audited []finding.Finding
}

// Decide sorts findings into deny, warn and audit for a namespace mode. It
// is pure, so tests state the whole policy as a table.
func Decide(findings []finding.Finding, mode Mode, p *Policy) Verdict {
	var v Verdict
	for _, f := range findings {
		switch action(f, mode, p) {
		case ActionDeny:
			v.Denied = append(v.Denied, f)
		case ActionWarn:
			v.Warnings = append(v.Warnings, f)
		default:
			v.Audited = append(v.Audited, f)
		}
	}
	return v
}

func action(f finding.Finding, mode Mode, p *Policy) Action {
	if mode == ModeOff {
		return ActionAudit
	}
	if p != nil {
		if a, ok := p.Rules[f.Rule]; ok {
			if mode == ModeAudit && a == ActionDeny {
				return ActionWarn
			}
			return a
		}
	}
	switch mode {
	case ModeRestricted:
		if f.Severity >= finding.SeverityMedium {
			return ActionDeny
		}
	case ModeBaseline:
		if f.Severity >= finding.SeverityHigh && !strings.HasPrefix(f.Rule, "pss-restricted-") {
			return ActionDeny
		}
	}
	return ActionWarn
}
