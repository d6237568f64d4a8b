package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// FileName is the config file kguard looks for in the working directory.
const FileName = ".kguard.yaml"

// Config is the parsed .kguard.yaml.
type Config struct {
	// FailOn is the default for --fail-on.
	FailOn string `json:"failOn,omitempty" yaml:"failOn,omitempty"`
	// TargetVersion is the default for --target-version.
	TargetVersion string      `json:"targetVersion,omitempty" yaml:"targetVersion,omitempty"`
	Rules         RuleConfig  `json:"rules,omitempty" yaml:"rules,omitempty"`
	Images        ImageConfig `json:"images,omitempty" yaml:"images,omitempty"`
	TLS           TLSConfig   `json:"tls,omitempty" yaml:"tls,omitempty"`
	Exceptions    []Exception `json:"exceptions,omitempty" yaml:"exceptions,omitempty"`
	// PodTemplates add custom resources whose pod template rules judge,
	// beyond the well-known ones kguard has built in.
	PodTemplates []PodTemplate `json:"podTemplates,omitempty" yaml:"podTemplates,omitempty"`

	// templates is the table PodTemplates build, made when the file is
	// parsed.
	templates *extract.Templates
}

// PodTemplate says where objects of one custom resource kind keep a pod
// template, so that they are workloads for every rule.
type PodTemplate struct {
	// Group and Kind name the custom resource (example.com, Widget).
	Group string `json:"group" yaml:"group"`
	Kind  string `json:"kind" yaml:"kind"`
	// Path is the dotted field path of the pod template (metadata and
	// spec), such as spec.template.
	Path string `json:"path" yaml:"path"`
}

// RuleConfig turns rules on and off and changes their severity.
type RuleConfig struct {
	// Disable lists rule IDs not to run.
	Disable []string `json:"disable,omitempty" yaml:"disable,omitempty"`
	// Enable lists rule IDs that are off by default and should run.
	Enable []string `json:"enable,omitempty" yaml:"enable,omitempty"`
	// Severity overrides a rule's severity.
	Severity map[string]finding.Severity `json:"severity,omitempty" yaml:"severity,omitempty"`
}

// ImageConfig holds settings for the images rules.
type ImageConfig struct {
	// AllowedRegistries lists registries (host, or host/path prefix) that
	// images may come from; empty means any.
	AllowedRegistries []string `json:"allowedRegistries,omitempty" yaml:"allowedRegistries,omitempty"`
	// Vulnerabilities configures image vulnerability scanning (images.go).
	Vulnerabilities VulnerabilityConfig `json:"vulnerabilities,omitempty" yaml:"vulnerabilities,omitempty"`
	// Signatures says which images must be signed, and by whom (images.go).
	Signatures SignaturePolicy `json:"signatures,omitempty" yaml:"signatures,omitempty"`
}

// TLSConfig holds settings for the certificate rules.
type TLSConfig struct {
	// ExpiryWarningDays is how many days before expiry a certificate is
	// reported (default 30).
	ExpiryWarningDays int `json:"expiryWarningDays,omitempty" yaml:"expiryWarningDays,omitempty"`
}

// Exception silences findings that match all of its non-empty selectors.
type Exception struct {
	// Rules are rule IDs or globs ("pss-*"); empty means every rule.
	Rules []string `json:"rules,omitempty" yaml:"rules,omitempty"`
	// Namespaces, Kinds and Names are globs matched against the resource.
	Namespaces []string `json:"namespaces,omitempty" yaml:"namespaces,omitempty"`
	Kinds      []string `json:"kinds,omitempty" yaml:"kinds,omitempty"`
	Names      []string `json:"names,omitempty" yaml:"names,omitempty"`
	// Reason is required: an exception without a why is not reviewable.
	Reason string `json:"reason" yaml:"reason"`
	// Expires (YYYY-MM-DD) is the last day the exception applies.
	Expires string `json:"expires,omitempty" yaml:"expires,omitempty"`

	expires time.Time
}

// Load reads a config file. A missing file named explicitly is an error;
// use Find for the optional default file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", file, err)
	}
	return c, nil
}

// Find loads ./.kguard.yaml when it exists, and returns an empty config
// when it does not.
func Find() (*Config, string, error) {
	if _, err := os.Stat(FileName); errors.Is(err, os.ErrNotExist) {
		return &Config{}, "", nil
	}
	c, err := Load(FileName)
	return c, FileName, err
}

// Parse parses and checks config content. Unknown fields are errors, so a
// typo never silently disables a safeguard.
func Parse(data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, errors.New(strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n ", ""), "yaml: "))
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) check() error {
	var errs []error
	if c.FailOn != "" && c.FailOn != "none" {
		if _, err := finding.ParseSeverity(c.FailOn); err != nil {
			errs = append(errs, fmt.Errorf("failOn: %w", err))
		}
	}
	errs = append(errs, c.Images.check()...)
	for i := range c.Exceptions {
		e := &c.Exceptions[i]
		where := fmt.Sprintf("exceptions[%d]", i)
		if e.Reason == "" {
			errs = append(errs, fmt.Errorf("%s: reason is required", where))
		}
		if e.Expires != "" {
			t, err := time.Parse(time.DateOnly, e.Expires)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: expires %q is not a YYYY-MM-DD date", where, e.Expires))
			}
			e.expires = t
		}
		for _, g := range concat(e.Rules, e.Namespaces, e.Kinds, e.Names) {
			if _, err := path.Match(g, ""); err != nil {
				errs = append(errs, fmt.Errorf("%s: bad glob %q: %w", where, g, err))
			}
		}
	}
	kinds, err := c.templateKinds()
	if err != nil {
		errs = append(errs, err)
	} else if c.templates, err = extract.NewTemplates(kinds...); err != nil {
		errs = append(errs, fmt.Errorf("podTemplates: %w", err))
	}
	return errors.Join(errs...)
}

// templateKinds checks the podTemplates entries, naming each bad one.
func (c *Config) templateKinds() ([]extract.TemplateKind, error) {
	var errs []error
	kinds := make([]extract.TemplateKind, 0, len(c.PodTemplates))
	seen := map[PodTemplate]int{}
	for i, p := range c.PodTemplates {
		where := fmt.Sprintf("podTemplates[%d]", i)
		k := extract.TemplateKind{Group: p.Group, Kind: p.Kind, Path: p.Path}
		if err := k.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if j, dup := seen[p]; dup {
			errs = append(errs, fmt.Errorf("%s: repeats podTemplates[%d]", where, j))
			continue
		}
		seen[p] = i
		kinds = append(kinds, k)
	}
	return kinds, errors.Join(errs...)
}

// Templates is where custom resources keep their pod templates: kguard's
// well-known table plus the podTemplates entries. Loaders resolve objects
// with it (extract.Templates.Resolve) so that every rule sees them as
// workloads. The error is for a Config built in code with bad entries; a
// parsed one has been checked already.
func (c *Config) Templates() (*extract.Templates, error) {
	if c == nil || len(c.PodTemplates) == 0 {
		return nil, nil // the well-known table
	}
	if c.templates != nil {
		return c.templates, nil
	}
	kinds, err := c.templateKinds()
	if err != nil {
		return nil, err
	}
	return extract.NewTemplates(kinds...)
}

// CheckRuleIDs reports rule IDs in the config that the registry does not
// have: likely typos.
func (c *Config) CheckRuleIDs(reg *rules.Registry) error {
	var errs []error
	known := func(where, id string) {
		if _, ok := reg.Get(id); !ok {
			errs = append(errs, fmt.Errorf("%s: unknown rule %q (see `kguard rules`)", where, id))
		}
	}
	for _, id := range c.Rules.Disable {
		known("rules.disable", id)
	}
	for _, id := range c.Rules.Enable {
		known("rules.enable", id)
	}
	for id := range c.Rules.Severity {
		known("rules.severity", id)
	}
	return errors.Join(errs...)
}

// Enabled reports whether a rule runs under this config.
func (c *Config) Enabled(r *rules.Rule) bool {
	for _, id := range c.Rules.Disable {
		if id == r.ID {
			return false
		}
	}
	if !r.DisabledByDefault {
		return true
	}
	for _, id := range c.Rules.Enable {
		if id == r.ID {
			return true
		}
	}
	return false
}

// Severity returns the rule's severity after overrides.
func (c *Config) Severity(ruleID string, def finding.Severity) finding.Severity {
	if s, ok := c.Rules.Severity[ruleID]; ok {
		return s
	}
	return def
}

// Except returns the first unexpired exception that matches the finding.
func (c *Config) Except(ruleID string, res inventory.Ref, now time.Time) (*Exception, bool) {
	for i := range c.Exceptions {
		e := &c.Exceptions[i]
		if !e.expires.IsZero() && now.After(e.expires.AddDate(0, 0, 1)) {
			continue
		}
		if globs(e.Rules, ruleID) && globs(e.Namespaces, res.Namespace) &&
			globs(e.Kinds, res.Kind) && globs(e.Names, res.Name) {
			return e, true
		}
	}
	return nil, false
}

// globs reports whether s matches any pattern; no patterns match anything.
func globs(patterns []string, s string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
