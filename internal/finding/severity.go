package finding

import (
	"fmt"
	"strings"
)

// Severity ranks how urgently a finding should be fixed. The zero value is
// SeverityInfo so that an unset severity never outranks a real one.
type Severity int

// Severities from least to most urgent.
const (
	SeverityInfo Severity = iota
	SeverityLow
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// AllSeverities lists every severity from most to least urgent, the order
// reports use.
func AllSeverities() []Severity {
	return []Severity{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}
}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity accepts a severity name in any case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

// MarshalText writes the severity's name, so JSON and YAML carry "high", not 3.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Category is the security practice a rule belongs to. The set is fixed.
type Category string

// The categories, one per practice kguard covers.
const (
	CategoryRBAC        Category = "rbac"
	CategoryNetwork     Category = "network"
	CategoryPodSecurity Category = "pod-security"
	CategorySecrets     Category = "secrets"
	CategoryImages      Category = "images"
	CategoryIsolation   Category = "isolation"
	CategoryAudit       Category = "audit"
	CategoryTLS         Category = "tls"
	CategoryExposure    Category = "exposure"
	CategoryRuntime     Category = "runtime"
	CategoryBackup      Category = "backup"
	CategoryPatching    Category = "patching"
	// CategoryConfig is kguard's own configuration (.kguard.yaml): its
	// exceptions that lapsed or match nothing.
	CategoryConfig Category = "config"
)

// AllCategories lists the categories in the order docs and reports use.
func AllCategories() []Category {
	return []Category{
		CategoryPodSecurity, CategoryImages, CategoryIsolation, CategoryPatching,
		CategoryRBAC, CategoryNetwork, CategorySecrets, CategoryTLS, CategoryExposure,
		CategoryAudit, CategoryRuntime, CategoryBackup, CategoryConfig,
	}
}

// Valid reports whether c is one of the fixed categories.
func (c Category) Valid() bool {
	for _, k := range AllCategories() {
		if c == k {
			return true
		}
	}
	return false
}
