package vulndb

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	cvss30 "github.com/pandatix/go-cvss/30"
	cvss31 "github.com/pandatix/go-cvss/31"
	cvss40 "github.com/pandatix/go-cvss/40"
)

// osvRecord is the part of an OSV record (https://ossf.github.io/osv-schema/)
// that matching needs.
type osvRecord struct {
	ID               string          `json:"id"`
	Modified         time.Time       `json:"modified"`
	Published        time.Time       `json:"published"`
	Withdrawn        *time.Time      `json:"withdrawn"`
	Aliases          []string        `json:"aliases"`
	Upstream         []string        `json:"upstream"`
	Summary          string          `json:"summary"`
	Details          string          `json:"details"`
	Severity         []osvSeverity   `json:"severity"`
	Affected         []osvAffected   `json:"affected"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

type osvSeverity struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		PURL      string `json:"purl"`
	} `json:"package"`
	Severity          []osvSeverity   `json:"severity"`
	Ranges            []osvRange      `json:"ranges"`
	Versions          []string        `json:"versions"`
	EcosystemSpecific json.RawMessage `json:"ecosystem_specific"`
	DatabaseSpecific  json.RawMessage `json:"database_specific"`
}

type osvRange struct {
	Type   string     `json:"type"`
	Events []osvEvent `json:"events"`
}

type osvEvent struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

// Advisory is a stored advisory: an OSV record reduced to what kguard
// reports and matches.
type Advisory struct {
	ID       string    `json:"id"`
	Aliases  []string  `json:"aliases,omitempty"`
	Summary  string    `json:"summary,omitempty"`
	Modified time.Time `json:"modified"`
	// Severity is CRITICAL, HIGH, MEDIUM, LOW or "" (unknown); Score and
	// Vector are set when it comes from a CVSS vector.
	Severity string     `json:"severity,omitempty"`
	Score    float64    `json:"score,omitempty"`
	Vector   string     `json:"vector,omitempty"`
	Affected []Affected `json:"affected"`
	// Source is the import the advisory came from.
	Source string `json:"source,omitempty"`
}

// Affected is one affected package of an advisory.
type Affected struct {
	// Ecosystem is the OSV ecosystem with its release ("Debian:12").
	Ecosystem string   `json:"ecosystem"`
	Name      string   `json:"name"`
	Ranges    []Range  `json:"ranges,omitempty"`
	Versions  []string `json:"versions,omitempty"`
	// GOOS, for Go advisories whose every vulnerable import is limited to
	// some operating systems (ecosystem_specific.imports[].goos), lists
	// them: a binary for another OS is not affected.
	GOOS []string `json:"goos,omitempty"`
}

// Range is an ECOSYSTEM or SEMVER range (GIT ranges name commits, which
// images do not record, and are dropped at import).
type Range struct {
	Type   string     `json:"type"`
	Events []osvEvent `json:"events"`
}

// parseRecord decodes one OSV record. Withdrawn records are returned with
// withdrawn set so that an import can delete an earlier copy.
func parseRecord(data []byte) (adv *Advisory, withdrawn bool, err error) {
	var r osvRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, false, err
	}
	if r.ID == "" {
		return nil, false, fmt.Errorf("no id: not an OSV record")
	}
	adv = &Advisory{
		ID:       r.ID,
		Aliases:  r.Aliases,
		Summary:  firstLine(r.Summary, r.Details),
		Modified: r.Modified,
	}
	sevs := r.Severity
	for _, a := range r.Affected {
		if a.Package.Name == "" || a.Package.Ecosystem == "" {
			continue
		}
		af := Affected{Ecosystem: a.Package.Ecosystem, Name: a.Package.Name, Versions: a.Versions, GOOS: goosOf(a)}
		for _, rg := range a.Ranges {
			if rg.Type == "ECOSYSTEM" || rg.Type == "SEMVER" {
				af.Ranges = append(af.Ranges, Range{Type: rg.Type, Events: rg.Events})
			}
		}
		if len(af.Ranges) == 0 && len(af.Versions) == 0 {
			continue
		}
		adv.Affected = append(adv.Affected, af)
		sevs = append(sevs, a.Severity...)
	}
	adv.Severity, adv.Score, adv.Vector = severityOf(sevs, r.DatabaseSpecific, r.Affected)
	return adv, r.Withdrawn != nil, nil
}

// goosOf reads the operating systems a Go advisory is limited to: only
// when every import entry names some (an entry without goos applies to
// all).
func goosOf(a osvAffected) []string {
	if a.Package.Ecosystem != "Go" || len(a.EcosystemSpecific) == 0 {
		return nil
	}
	var es struct {
		Imports []struct {
			GOOS []string `json:"goos"`
		} `json:"imports"`
	}
	if json.Unmarshal(a.EcosystemSpecific, &es) != nil || len(es.Imports) == 0 {
		return nil
	}
	var out []string
	for _, imp := range es.Imports {
		if len(imp.GOOS) == 0 {
			return nil
		}
		for _, g := range imp.GOOS {
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// severityOf takes the highest CVSS base score among the vectors, or else
// a severity word the database gives (GitHub's database_specific.severity,
// Ubuntu's and Debian's urgency words are not CVSS and are not used).
func severityOf(sevs []osvSeverity, dbSpecific json.RawMessage, affected []osvAffected) (string, float64, string) {
	best, vector := -1.0, ""
	for _, s := range sevs {
		score, ok := cvssScore(s)
		if ok && score > best {
			best, vector = score, s.Score
		}
	}
	if best >= 0 {
		return Rating(best), best, vector
	}
	var ds struct {
		Severity string `json:"severity"`
	}
	if len(dbSpecific) > 0 && json.Unmarshal(dbSpecific, &ds) == nil {
		switch w := strings.ToUpper(ds.Severity); w {
		case "CRITICAL", "HIGH", "MEDIUM", "LOW":
			return w, 0, ""
		case "MODERATE":
			return "MEDIUM", 0, ""
		}
	}
	return "", 0, ""
}

func cvssScore(s osvSeverity) (float64, bool) {
	v := strings.TrimSpace(s.Score)
	switch {
	case strings.HasPrefix(v, "CVSS:3.1/"):
		c, err := cvss31.ParseVector(v)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	case strings.HasPrefix(v, "CVSS:3.0/"):
		c, err := cvss30.ParseVector(v)
		if err != nil {
			return 0, false
		}
		return c.BaseScore(), true
	case strings.HasPrefix(v, "CVSS:4.0/"):
		c, err := cvss40.ParseVector(v)
		if err != nil {
			return 0, false
		}
		return math.Round(c.Score()*10) / 10, true
	}
	return 0, false
}

// Rating is the CVSS qualitative rating of a score.
func Rating(score float64) string {
	switch {
	case score >= 9:
		return "CRITICAL"
	case score >= 7:
		return "HIGH"
	case score >= 4:
		return "MEDIUM"
	case score > 0:
		return "LOW"
	}
	return "NONE"
}

func firstLine(summary, details string) string {
	s := summary
	if s == "" {
		s = details
	}
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
