package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/scan"
)

// Baseline statuses of a finding, as reports write them.
const (
	// StatusNew: the baseline has no finding with this fingerprint.
	StatusNew = "new"
	// StatusUnchanged: the baseline has one.
	StatusUnchanged = "unchanged"
)

// Baseline is a previous JSON report (-o json) that a run is compared with
// (--baseline). Findings are matched by fingerprint (finding.Fingerprint),
// as sets: a finding is new when no finding of the baseline has its
// fingerprint, and a finding of the baseline is fixed when no finding of
// the run, counted or suppressed, has its fingerprint. Only the findings
// that counted in the baseline are read, not its suppressed ones: a finding
// whose exception has since lapsed is new again.
type Baseline struct {
	// Name is where the baseline was read from, for reports.
	Name     string
	findings []BaselineFinding
	known    map[string]bool
}

// BaselineFinding is a finding as the baseline recorded it.
type BaselineFinding struct {
	Rule        string           `json:"rule"`
	Severity    finding.Severity `json:"severity"`
	Title       string           `json:"title"`
	Resource    inventory.Ref    `json:"resource"`
	Message     string           `json:"message"`
	Field       string           `json:"field"`
	Source      inventory.Source `json:"source"`
	Fingerprint string           `json:"fingerprint"`
}

// ReadBaseline reads a JSON report. Reports written before fingerprints
// were added get them computed from rule, resource and field, which is
// what the fingerprint hashes.
func ReadBaseline(r io.Reader, name string) (*Baseline, error) {
	var doc struct {
		Findings *[]BaselineFinding `json:"findings"`
		Tool     struct {
			Name string `json:"name"`
		} `json:"tool"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("baseline %s: not JSON at byte %d: %v", name, syn.Offset, err)
		}
		return nil, fmt.Errorf("baseline %s: %w", name, err)
	}
	if doc.Findings == nil || doc.Tool.Name != "kguard" {
		return nil, fmt.Errorf("baseline %s: not a kguard JSON report (write one with -o json)", name)
	}
	b := &Baseline{Name: name, findings: *doc.Findings, known: make(map[string]bool, len(*doc.Findings))}
	for i := range b.findings {
		bf := &b.findings[i]
		if bf.Fingerprint == "" {
			bf.Fingerprint = finding.Fingerprint(&finding.Finding{Rule: bf.Rule, Resource: bf.Resource, Field: bf.Field})
		}
		b.known[bf.Fingerprint] = true
	}
	return b, nil
}

// Len is how many findings the baseline holds.
func (b *Baseline) Len() int { return len(b.findings) }

// IsNew reports whether the baseline has no finding like f.
func (b *Baseline) IsNew(f *finding.Finding) bool { return !b.known[finding.Fingerprint(f)] }

// Status is StatusNew or StatusUnchanged for f, "" without a baseline.
func (b *Baseline) Status(f *finding.Finding) string {
	switch {
	case b == nil:
		return ""
	case b.IsNew(f):
		return StatusNew
	}
	return StatusUnchanged
}

// Fixed returns the findings of the baseline that res no longer has,
// counted or suppressed, in the baseline's order.
func (b *Baseline) Fixed(res *scan.Result) []BaselineFinding {
	if b == nil {
		return nil
	}
	now := make(map[string]bool, len(res.Findings)+len(res.Suppressed))
	for _, list := range [][]finding.Finding{res.Findings, res.Suppressed} {
		for i := range list {
			now[finding.Fingerprint(&list[i])] = true
		}
	}
	var out []BaselineFinding
	for _, bf := range b.findings {
		if !now[bf.Fingerprint] {
			out = append(out, bf)
		}
	}
	return out
}

// Fixed is the baseline's findings that the run no longer has:
// opts.Fixed when the caller worked it out on the whole result (display
// filters leave findings out of res, and those are not fixed), else
// computed from res.
func Fixed(res *scan.Result, opts Options) []BaselineFinding {
	if opts.Fixed != nil {
		return *opts.Fixed
	}
	return opts.Baseline.Fixed(res)
}

// Counts is Baseline.Count with the fixed findings of Fixed.
func Counts(res *scan.Result, opts Options) BaselineCounts {
	c := opts.Baseline.Count(res)
	c.Fixed = len(Fixed(res, opts))
	return c
}

// BaselineCounts counts the findings of res by baseline status.
type BaselineCounts struct {
	New, Unchanged, Fixed int
}

// Count counts res against the baseline.
func (b *Baseline) Count(res *scan.Result) BaselineCounts {
	var c BaselineCounts
	if b == nil {
		return c
	}
	for i := range res.Findings {
		if b.IsNew(&res.Findings[i]) {
			c.New++
		} else {
			c.Unchanged++
		}
	}
	c.Fixed = len(b.Fixed(res))
	return c
}
