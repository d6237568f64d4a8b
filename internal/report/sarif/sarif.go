package sarif

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/framework"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/report"
	"github.com/kguard/kguard/internal/rules"
	"github.com/kguard/kguard/internal/scan"
)

const (
	schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
	// InformationURI is kguard's home page as SARIF tools show it.
	InformationURI = "https://github.com/kguard/kguard"
	// rulesDocURI is where every rule is documented, one anchor per ID.
	rulesDocURI = InformationURI + "/blob/main/docs/rules.md"
	// srcRoot is the conventional base for paths relative to the
	// repository checkout; GitHub resolves it to the checkout.
	srcRoot = "%SRCROOT%"
	// fingerprintKey names kguard's fingerprint (finding.Fingerprint); the
	// version lets the recipe change without silently merging unrelated
	// alerts. v1 also hashed the file name, so an object moved to another
	// file became a new alert; v2 is the fingerprint of the JSON report.
	fingerprintKey = "kguard/v2"
)

// securitySeverity is what GitHub code scanning reads to rank alerts.
var securitySeverity = map[finding.Severity]string{
	finding.SeverityCritical: "9.5",
	finding.SeverityHigh:     "8.0",
	finding.SeverityMedium:   "5.5",
	finding.SeverityLow:      "3.0",
	finding.SeverityInfo:     "1.0",
}

// Level maps a severity to a SARIF result level.
func Level(s finding.Severity) string {
	switch {
	case s >= finding.SeverityHigh:
		return "error"
	case s == finding.SeverityMedium:
		return "warning"
	}
	return "note"
}

// The SARIF object model, reduced to what kguard writes. Field order is
// the order of the output.

type log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []run  `json:"runs"`
}

type run struct {
	Tool        tool         `json:"tool"`
	Invocations []invocation `json:"invocations"`
	// Taxonomies are the compliance frameworks asked for (--framework):
	// one per framework, its controls as taxa with their verdicts.
	Taxonomies []taxonomy `json:"taxonomies,omitempty"`
	Results    []result   `json:"results"`
}

type taxonomy struct {
	Name             string        `json:"name"`
	FullName         string        `json:"fullName"`
	Version          string        `json:"version"`
	InformationURI   string        `json:"informationUri"`
	ShortDescription message       `json:"shortDescription"`
	Taxa             []taxon       `json:"taxa"`
	Properties       taxonomyProps `json:"properties"`
}

type taxonomyProps struct {
	// Score is the percentage of passing controls among those judged,
	// absent when none was.
	Score        *float64 `json:"score,omitempty"`
	Mapping      int      `json:"kguardMapping"`
	Pass         int      `json:"pass"`
	Fail         int      `json:"fail"`
	NotEvaluated int      `json:"notEvaluated"`
	Manual       int      `json:"manual"`
	Partial      bool     `json:"partial"`
}

type taxon struct {
	ID               string     `json:"id"`
	ShortDescription message    `json:"shortDescription"`
	Properties       taxonProps `json:"properties"`
}

type taxonProps struct {
	Section  string   `json:"section"`
	Status   string   `json:"status"`
	Reason   string   `json:"reason,omitempty"`
	Rules    []string `json:"rules"`
	Findings int      `json:"findings"`
}

type relationship struct {
	Target descriptorTarget `json:"target"`
	Kinds  []string         `json:"kinds"`
}

type descriptorTarget struct {
	ID            string       `json:"id"`
	ToolComponent componentRef `json:"toolComponent"`
}

type componentRef struct {
	Name string `json:"name"`
}

type tool struct {
	Driver driver `json:"driver"`
}

type driver struct {
	Name           string     `json:"name"`
	Version        string     `json:"version,omitempty"`
	InformationURI string     `json:"informationUri"`
	Rules          []ruleDesc `json:"rules"`
}

type message struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type ruleDesc struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     message        `json:"shortDescription"`
	FullDescription      message        `json:"fullDescription"`
	Help                 message        `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration configuration  `json:"defaultConfiguration"`
	Relationships        []relationship `json:"relationships,omitempty"`
	Properties           ruleProps      `json:"properties"`
}

type configuration struct {
	Level string `json:"level"`
}

type ruleProps struct {
	Category         string   `json:"category"`
	Severity         string   `json:"severity"`
	SecuritySeverity string   `json:"security-severity"`
	Tags             []string `json:"tags"`
}

type invocation struct {
	ExecutionSuccessful        bool           `json:"executionSuccessful"`
	ToolExecutionNotifications []notification `json:"toolExecutionNotifications,omitempty"`
}

type notification struct {
	Level      string        `json:"level"`
	Message    message       `json:"message"`
	Descriptor descriptorRef `json:"descriptor"`
	Locations  []location    `json:"locations,omitempty"`
}

type descriptorRef struct {
	ID string `json:"id"`
}

type result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           *int              `json:"ruleIndex,omitempty"`
	Level               string            `json:"level"`
	Message             message           `json:"message"`
	Locations           []location        `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	BaselineState       string            `json:"baselineState,omitempty"`
	Suppressions        []suppression     `json:"suppressions,omitempty"`
	Properties          resultProps       `json:"properties"`
}

type location struct {
	PhysicalLocation *physicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []logicalLocation `json:"logicalLocations,omitempty"`
}

type physicalLocation struct {
	ArtifactLocation artifactLocation `json:"artifactLocation"`
	Region           *region          `json:"region,omitempty"`
}

type artifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type region struct {
	StartLine int `json:"startLine"`
}

type logicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type suppression struct {
	Kind          string            `json:"kind"`
	Status        string            `json:"status"`
	Justification string            `json:"justification,omitempty"`
	Properties    map[string]string `json:"properties,omitempty"`
}

type resultProps struct {
	Severity string        `json:"severity"`
	Category string        `json:"category"`
	Field    string        `json:"field,omitempty"`
	Resource inventory.Ref `json:"resource"`
	Cluster  string        `json:"cluster,omitempty"`
}

// Write renders res as a SARIF 2.1.0 log.
func Write(w io.Writer, res *scan.Result, opts report.Options) error {
	rs := report.Rules(res, opts)
	index := make(map[string]int, len(rs))
	descs := make([]ruleDesc, 0, len(rs))
	for i, r := range rs {
		index[r.ID] = i
		descs = append(descs, describeRule(r))
	}
	var taxonomies []taxonomy
	for _, fr := range opts.Frameworks {
		taxonomies = append(taxonomies, frameworkTaxonomy(fr))
		// Each rule points at the controls it serves.
		for _, c := range fr.Controls {
			for _, id := range c.Rules {
				if i, ok := index[id]; ok {
					descs[i].Relationships = append(descs[i].Relationships, relationship{
						Target: descriptorTarget{ID: c.ID, ToolComponent: componentRef{Name: fr.Framework.Name}},
						Kinds:  []string{"relevant"},
					})
				}
			}
		}
	}

	nf := len(res.Findings)
	resultAt := func(i int) result {
		if i < nf {
			r := convert(&res.Findings[i], index)
			r.BaselineState = opts.Baseline.Status(&res.Findings[i])
			return r
		}
		return convert(&res.Suppressed[i-nf], index)
	}

	inv := invocation{ExecutionSuccessful: !report.Partial(res, opts)}
	for _, ne := range res.NotEvaluated {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, notification{
			Level:      "error",
			Message:    message{Text: "not evaluated: " + report.DescribeNotEvaluated(ne)},
			Descriptor: descriptorRef{ID: "not-evaluated"},
		})
	}
	for _, e := range opts.InputErrors {
		if e == nil {
			continue
		}
		n := notification{
			Level:      "error",
			Message:    message{Text: "input not scanned: " + e.Error()},
			Descriptor: descriptorRef{ID: "input-error"},
		}
		if pl := physical(e.File, e.Line); pl != nil {
			n.Locations = []location{{PhysicalLocation: pl}}
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}

	doc := log{
		Schema:  schemaURI,
		Version: "2.1.0",
		Runs: []run{{
			Tool: tool{Driver: driver{
				Name:           "kguard",
				Version:        opts.ToolVersion,
				InformationURI: InformationURI,
				Rules:          descs,
			}},
			Invocations: []invocation{inv},
			Taxonomies:  taxonomies,
			Results:     []result{}, // streamed in by WriteJSONStreaming
		}},
	}
	if err := report.WriteJSONStreaming(w, doc, "results", nf+len(res.Suppressed), resultAt); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return nil
}

func frameworkTaxonomy(fr *framework.Result) taxonomy {
	f := fr.Framework
	t := taxonomy{
		Name: f.Name, FullName: f.Title + " " + f.Version, Version: f.Version, InformationURI: f.URL,
		ShortDescription: message{Text: f.Source},
		Properties: taxonomyProps{Mapping: f.Mapping, Pass: fr.Pass, Fail: fr.Fail, NotEvaluated: fr.NotEvaluated,
			Manual: fr.Manual, Partial: fr.Partial},
		Taxa: make([]taxon, 0, len(fr.Controls)),
	}
	if fr.HasScore {
		score := math.Round(fr.Score*10) / 10
		t.Properties.Score = &score
	}
	for _, c := range fr.Controls {
		t.Taxa = append(t.Taxa, taxon{
			ID:               c.ID,
			ShortDescription: message{Text: c.Title},
			Properties: taxonProps{Section: c.Section, Status: string(c.Status), Reason: c.Reason,
				Rules: append([]string{}, c.Rules...), Findings: c.Findings},
		})
	}
	return t
}

func describeRule(r *rules.Rule) ruleDesc {
	refs := r.References.List()
	text := "Fix: " + r.Remediation
	md := "**Fix:** " + r.Remediation
	if len(refs) > 0 {
		text += "\n\nReferences:\n- " + strings.Join(refs, "\n- ")
		md += "\n\n**References:**\n\n- " + strings.Join(refs, "\n- ")
	}
	return ruleDesc{
		ID:                   r.ID,
		Name:                 pascal(r.ID),
		ShortDescription:     message{Text: r.Title},
		FullDescription:      message{Text: r.Rationale},
		Help:                 message{Text: text, Markdown: md},
		HelpURI:              rulesDocURI + "#" + r.ID,
		DefaultConfiguration: configuration{Level: Level(r.Severity)},
		Properties: ruleProps{
			Category:         string(r.Category),
			Severity:         r.Severity.String(),
			SecuritySeverity: securitySeverity[r.Severity],
			Tags:             []string{"security", "kubernetes", string(r.Category)},
		},
	}
}

func convert(f *finding.Finding, index map[string]int) result {
	text := f.Resource.String() + ": " + f.Message
	if f.Field != "" {
		text += " (field: " + f.Field + ")"
	}
	loc := location{
		PhysicalLocation: physical(f.Source.File, f.Source.Line),
		LogicalLocations: []logicalLocation{{
			Name:               f.Resource.Name,
			FullyQualifiedName: qualifiedName(f.Resource),
			Kind:               "resource",
		}},
	}
	r := result{
		RuleID:              f.Rule,
		Level:               Level(f.Severity),
		Message:             message{Text: text},
		Locations:           []location{loc},
		PartialFingerprints: map[string]string{fingerprintKey: finding.Fingerprint(f)},
		Properties: resultProps{
			Severity: f.Severity.String(),
			Category: string(f.Category),
			Field:    f.Field,
			Resource: f.Resource,
			Cluster:  f.Source.Cluster,
		},
	}
	if i, ok := index[f.Rule]; ok {
		r.RuleIndex = &i
	}
	if s := f.Suppressed; s != nil {
		kind := "external"
		if s.By == "annotation" {
			kind = "inSource"
		}
		sup := suppression{Kind: kind, Status: "accepted", Justification: s.Reason}
		if s.Expires != "" {
			sup.Properties = map[string]string{"expires": s.Expires}
		}
		r.Suppressions = []suppression{sup}
	}
	return r
}

// qualifiedName is "Kind/namespace/name", or "Kind/name" for objects
// without a namespace.
func qualifiedName(ref inventory.Ref) string {
	if ref.Namespace == "" {
		return ref.Kind + "/" + ref.Name
	}
	return ref.Kind + "/" + ref.Namespace + "/" + ref.Name
}

// physical returns the file location, or nil for objects with no file
// (live cluster) or read from standard input ("-"), which have no
// artifact a viewer could open.
func physical(file string, line int) *physicalLocation {
	uri, base, ok := fileURI(file)
	if !ok {
		return nil
	}
	pl := &physicalLocation{ArtifactLocation: artifactLocation{URI: uri, URIBaseID: base}}
	if line > 0 {
		pl.Region = &region{StartLine: line}
	}
	return pl
}

// fileURI turns a path as kguard was given it into a SARIF artifact URI:
// relative paths stay relative to %SRCROOT% with forward slashes, absolute
// paths become file:// URIs. Characters that are not allowed in a URI
// (spaces, '#', '%', non-ASCII) are percent-encoded.
func fileURI(file string) (uri, base string, ok bool) {
	if file == "" || file == "-" {
		return "", "", false
	}
	p := filepath.ToSlash(filepath.Clean(file))
	if filepath.IsAbs(file) {
		if !strings.HasPrefix(p, "/") { // Windows drive path, C:/x
			p = "/" + p
		}
		return (&url.URL{Scheme: "file", Path: p}).String(), "", true
	}
	// url.URL.String prefixes "./" when the first segment holds a colon,
	// so "a:b.yaml" is not read as a URI with scheme "a".
	return (&url.URL{Path: p}).String(), srcRoot, true
}

// pascal turns a rule ID into the PascalCase name SARIF suggests for
// rule names ("image-latest-tag" -> "ImageLatestTag").
func pascal(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
