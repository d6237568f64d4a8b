package config

import (
	"fmt"
	"path"
	"regexp"
	"time"
)

// VulnerabilityConfig configures `kguard images scan` and `kguard scan
// --images`.
type VulnerabilityConfig struct {
	// DB is the vulnerability database directory (default: kguard/vulndb
	// in the user's cache directory).
	DB string `json:"db,omitempty" yaml:"db,omitempty"`
	// IgnoreUnfixed drops vulnerabilities that have no fixed version yet.
	IgnoreUnfixed bool `json:"ignoreUnfixed,omitempty" yaml:"ignoreUnfixed,omitempty"`
	// Ignore lists VEX-style statements: this advisory does not affect
	// these packages and images, for this reason, until this day.
	Ignore []VulnerabilityIgnore `json:"ignore,omitempty" yaml:"ignore,omitempty"`
}

// VulnerabilityIgnore silences one advisory.
type VulnerabilityIgnore struct {
	// ID is the advisory ID or any alias (CVE-..., GHSA-...).
	ID string `json:"id" yaml:"id"`
	// Packages and Images are globs; empty means every one.
	Packages []string `json:"packages,omitempty" yaml:"packages,omitempty"`
	Images   []string `json:"images,omitempty" yaml:"images,omitempty"`
	// Status is the VEX status asserted: not_affected (default), fixed,
	// or under_investigation... it is recorded with the finding.
	Status string `json:"status,omitempty" yaml:"status,omitempty"`
	// Reason is required (the VEX justification or impact statement).
	Reason string `json:"reason" yaml:"reason"`
	// Expires (YYYY-MM-DD) is the last day the ignore applies.
	Expires string `json:"expires,omitempty" yaml:"expires,omitempty"`
}

// ExpiresAt is the parsed expiry (zero when none); the config was checked
// at load.
func (v VulnerabilityIgnore) ExpiresAt() time.Time {
	t, _ := time.Parse(time.DateOnly, v.Expires)
	return t
}

// SignaturePolicy says which images must carry a valid signature.
type SignaturePolicy struct {
	// Keys are PEM public key files; a signature by any of them is valid.
	Keys []string `json:"keys,omitempty" yaml:"keys,omitempty"`
	// Identities are certificate identities (keyless signing) accepted
	// when their certificate chains to TrustedRoot.
	Identities []SignerIdentity `json:"identities,omitempty" yaml:"identities,omitempty"`
	// TrustedRoot is a Sigstore trusted root file (trusted_root.json) or
	// a PEM bundle of CA certificates; no network is needed.
	TrustedRoot string `json:"trustedRoot,omitempty" yaml:"trustedRoot,omitempty"`
	// Attestations are predicate types (e.g. https://slsa.dev/provenance/v1)
	// that a required image must also carry, signed the same way.
	Attestations []string `json:"attestations,omitempty" yaml:"attestations,omitempty"`
	// Require lists where signatures are required: an image matches when
	// its workload's namespace matches a Namespaces glob or the image
	// matches a Registries prefix (the forms of allowedRegistries).
	Require []SignatureRequirement `json:"require,omitempty" yaml:"require,omitempty"`
}

// SignerIdentity is one accepted certificate identity.
type SignerIdentity struct {
	Issuer        string `json:"issuer,omitempty" yaml:"issuer,omitempty"`
	IssuerRegExp  string `json:"issuerRegExp,omitempty" yaml:"issuerRegExp,omitempty"`
	Subject       string `json:"subject,omitempty" yaml:"subject,omitempty"`
	SubjectRegExp string `json:"subjectRegExp,omitempty" yaml:"subjectRegExp,omitempty"`
}

// SignatureRequirement selects images that must be signed.
type SignatureRequirement struct {
	Namespaces []string `json:"namespaces,omitempty" yaml:"namespaces,omitempty"`
	Registries []string `json:"registries,omitempty" yaml:"registries,omitempty"`
}

// Enabled reports whether any image requires a signature.
func (p SignaturePolicy) Enabled() bool { return len(p.Require) > 0 }

func (c ImageConfig) check() []error {
	var errs []error
	for i, ig := range c.Vulnerabilities.Ignore {
		where := fmt.Sprintf("images.vulnerabilities.ignore[%d]", i)
		if ig.ID == "" {
			errs = append(errs, fmt.Errorf("%s: id is required", where))
		}
		if ig.Reason == "" {
			errs = append(errs, fmt.Errorf("%s: reason is required", where))
		}
		if ig.Expires != "" {
			if _, err := time.Parse(time.DateOnly, ig.Expires); err != nil {
				errs = append(errs, fmt.Errorf("%s: expires %q is not a YYYY-MM-DD date", where, ig.Expires))
			}
		}
		switch ig.Status {
		case "", "not_affected", "fixed", "under_investigation", "false_positive", "will_not_fix":
		default:
			errs = append(errs, fmt.Errorf("%s: status %q: want not_affected, fixed, under_investigation, false_positive or will_not_fix", where, ig.Status))
		}
		for _, g := range append(append([]string(nil), ig.Packages...), ig.Images...) {
			if _, err := path.Match(g, ""); err != nil {
				errs = append(errs, fmt.Errorf("%s: bad glob %q: %w", where, g, err))
			}
		}
	}
	sp := c.Signatures
	for i, id := range sp.Identities {
		where := fmt.Sprintf("images.signatures.identities[%d]", i)
		if (id.Issuer == "") == (id.IssuerRegExp == "") || (id.Subject == "") == (id.SubjectRegExp == "") {
			errs = append(errs, fmt.Errorf("%s: give exactly one of issuer and issuerRegExp, and one of subject and subjectRegExp", where))
		}
		for _, re := range []string{id.IssuerRegExp, id.SubjectRegExp} {
			if _, err := regexp.Compile(re); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
			}
		}
	}
	if len(sp.Identities) > 0 && sp.TrustedRoot == "" {
		errs = append(errs, fmt.Errorf("images.signatures: identities need a trustedRoot"))
	}
	if sp.Enabled() && len(sp.Keys) == 0 && len(sp.Identities) == 0 {
		errs = append(errs, fmt.Errorf("images.signatures: require is set but no keys or identities say who may sign"))
	}
	for i, r := range sp.Require {
		if len(r.Namespaces) == 0 && len(r.Registries) == 0 {
			errs = append(errs, fmt.Errorf("images.signatures.require[%d]: give namespaces or registries", i))
		}
		for _, g := range r.Namespaces {
			if _, err := path.Match(g, ""); err != nil {
				errs = append(errs, fmt.Errorf("images.signatures.require[%d]: bad glob %q: %w", i, g, err))
			}
		}
	}
	return errs
}
