package framework

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/rules"
)

//go:embed data/*.yaml
var data embed.FS

// Keys say which field of finding.References maps rules to a framework.
const (
	KeyCIS   = "cis"
	KeyNSA   = "nsa"
	KeyMITRE = "mitre"
	KeyPSS   = "pss"
)

// Framework is one compliance framework and how kguard's rules map to it.
type Framework struct {
	// Name is what users type after --framework.
	Name  string `yaml:"name"`
	Title string `yaml:"title"`
	// Version is the version of the standard the controls come from.
	Version string `yaml:"version"`
	// Mapping is the revision of this mapping of kguard rules to it.
	Mapping int `yaml:"mapping"`
	// Source cites the document the controls come from; URL points at it.
	Source string `yaml:"source"`
	URL    string `yaml:"url"`
	// Key is the References field that maps rules: cis, nsa, mitre or pss.
	Key      string    `yaml:"key"`
	Sections []Section `yaml:"sections"`
}

// Section groups controls as the standard does.
type Section struct {
	ID    string `yaml:"id"`
	Title string `yaml:"title"`
	// Note says why controls of the section that no rule covers are not
	// evaluated, when there is a common reason.
	Note     string    `yaml:"note,omitempty"`
	Controls []Control `yaml:"controls"`
}

// Control is one check or recommendation of the standard.
type Control struct {
	ID    string `yaml:"id"`
	Title string `yaml:"title"`
	// Manual is set when the standard marks the check manual (CIS) or it
	// is an operational practice rather than a configuration.
	Manual bool `yaml:"manual,omitempty"`
	// Refs are the reference values (of the framework's key) that map a
	// rule to this control; the control's ID when empty.
	Refs []string `yaml:"refs,omitempty"`
	// Rules are rule IDs mapped to this control beyond those references.
	Rules []string `yaml:"rules,omitempty"`
	// Note says why kguard cannot evaluate the control, when no rule
	// covers it.
	Note string `yaml:"note,omitempty"`
}

// refs are the reference values that map rules to c.
func (c *Control) refs() []string {
	if len(c.Refs) == 0 {
		return []string{c.ID}
	}
	return c.Refs
}

// Len is the number of controls.
func (f *Framework) Len() int {
	n := 0
	for _, s := range f.Sections {
		n += len(s.Controls)
	}
	return n
}

// order is the order of All and of help texts.
var order = []string{"cis", "nsa", "mitre", "pss-baseline", "pss-restricted"}

var (
	loadOnce sync.Once
	loaded   []*Framework
	loadErr  error
)

// All returns every framework kguard ships, parsed once.
func All() ([]*Framework, error) {
	loadOnce.Do(func() { loaded, loadErr = load() })
	return loaded, loadErr
}

func load() ([]*Framework, error) {
	entries, err := data.ReadDir("data")
	if err != nil {
		return nil, err
	}
	var out []*Framework
	var errs []error
	for _, e := range entries {
		raw, err := data.ReadFile(path.Join("data", e.Name()))
		if err != nil {
			return nil, err
		}
		f, err := Parse(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("framework %s: %w", e.Name(), err))
			continue
		}
		if want := strings.TrimSuffix(e.Name(), ".yaml"); f.Name != want {
			errs = append(errs, fmt.Errorf("framework %s: name %q does not match the file name", e.Name(), f.Name))
		}
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b *Framework) int { return rank(a.Name) - rank(b.Name) })
	return out, errors.Join(errs...)
}

func rank(name string) int {
	if i := slices.Index(order, name); i >= 0 {
		return i
	}
	return len(order)
}

// Parse reads one framework file. Unknown fields are errors, so a typo in
// a mapping never silently drops a rule.
func Parse(raw []byte) (*Framework, error) {
	var f Framework
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if f.Name == "" || f.Title == "" || f.Version == "" || f.Source == "" || f.URL == "" || f.Mapping < 1 {
		bad("name, title, version, source, url and mapping (>= 1) are required")
	}
	switch f.Key {
	case KeyCIS, KeyNSA, KeyMITRE, KeyPSS:
	default:
		bad("key %q is not one of cis, nsa, mitre, pss", f.Key)
	}
	seen := map[string]bool{}
	for _, s := range f.Sections {
		if s.ID == "" || s.Title == "" || len(s.Controls) == 0 {
			bad("section %q: id, title and controls are required", s.ID)
		}
		for _, c := range s.Controls {
			if c.ID == "" || c.Title == "" {
				bad("section %s: a control lacks its id or title", s.ID)
			}
			if seen[c.ID] {
				bad("control %s is listed twice", c.ID)
			}
			seen[c.ID] = true
		}
	}
	if len(seen) == 0 {
		bad("no controls")
	}
	return &f, errors.Join(errs...)
}

// Get returns the framework called name.
func Get(name string) (*Framework, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	for _, f := range all {
		if strings.EqualFold(f.Name, name) {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown framework %q (want one of %s)", name, strings.Join(order, ", "))
}

// Names lists the frameworks' names in their order.
func Names() []string { return slices.Clone(order) }

// RefValues returns a rule's references under key, as control refs name
// them: CIS references up to the first space (a parenthesised note may
// follow the ID), Pod Security Standards references split into one value
// per control ("baseline: Host Namespaces, Host Ports" names two).
func RefValues(key string, r finding.References) []string {
	switch key {
	case KeyCIS:
		out := make([]string, 0, len(r.CIS))
		for _, c := range r.CIS {
			if f := strings.Fields(c); len(f) > 0 {
				out = append(out, f[0])
			}
		}
		return out
	case KeyNSA:
		return r.NSA
	case KeyMITRE:
		return r.MITRE
	case KeyPSS:
		level, controls, ok := strings.Cut(r.PSS, ":")
		if !ok {
			if r.PSS == "" {
				return nil
			}
			return []string{r.PSS}
		}
		var out []string
		for _, c := range strings.Split(controls, ",") {
			out = append(out, strings.TrimSpace(level)+": "+strings.TrimSpace(c))
		}
		return out
	}
	return nil
}

// RulesByControl maps each control ID to the IDs of the rules of rs that
// map to it, in rs's order, each once.
func (f *Framework) RulesByControl(rs []*rules.Rule) map[string][]string {
	byRef := map[string][]string{}
	for _, r := range rs {
		for _, v := range RefValues(f.Key, r.References) {
			byRef[v] = append(byRef[v], r.ID)
		}
	}
	known := map[string]bool{}
	for _, r := range rs {
		known[r.ID] = true
	}
	out := map[string][]string{}
	for _, s := range f.Sections {
		for _, c := range s.Controls {
			var ids []string
			for _, ref := range c.refs() {
				ids = append(ids, byRef[ref]...)
			}
			for _, id := range c.Rules {
				if known[id] {
					ids = append(ids, id)
				}
			}
			slices.Sort(ids)
			out[c.ID] = slices.Compact(ids)
		}
	}
	return out
}

// RuleIDs is every rule of rs the framework maps to some control.
func (f *Framework) RuleIDs(rs []*rules.Rule) map[string]bool {
	out := map[string]bool{}
	for _, ids := range f.RulesByControl(rs) {
		for _, id := range ids {
			out[id] = true
		}
	}
	return out
}

// Check validates frameworks against the rules kguard has: every rule a
// control names exists, and every reference a rule makes under a key that
// some framework uses is the ref of a control of such a framework (a rule
// citing "CIS 5.7.4" when the benchmark has no 5.7.4 is a stale reference).
func Check(fws []*Framework, rs []*rules.Rule) error {
	var errs []error
	known := map[string]bool{}
	for _, r := range rs {
		known[r.ID] = true
	}
	refs := map[string]map[string]bool{} // key -> control refs
	for _, f := range fws {
		if refs[f.Key] == nil {
			refs[f.Key] = map[string]bool{}
		}
		for _, s := range f.Sections {
			for _, c := range s.Controls {
				for _, ref := range c.refs() {
					refs[f.Key][ref] = true
				}
				for _, id := range c.Rules {
					if !known[id] {
						errs = append(errs, fmt.Errorf("framework %s, control %s: unknown rule %q", f.Name, c.ID, id))
					}
				}
			}
		}
	}
	for _, r := range rs {
		for _, key := range []string{KeyCIS, KeyNSA, KeyMITRE, KeyPSS} {
			if refs[key] == nil {
				continue
			}
			for _, v := range RefValues(key, r.References) {
				if !refs[key][v] {
					errs = append(errs, fmt.Errorf("rule %s: %s reference %q is no control of any %s framework", r.ID, key, v, key))
				}
			}
		}
	}
	return errors.Join(errs...)
}
