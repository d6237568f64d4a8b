package imagereport

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/kguard/kguard/internal/images/vulnscan"
)

// Formats are the output formats, in the order help lists them.
var Formats = []string{"table", "json", "sarif"}

// Options are what every writer may use.
type Options struct {
	ToolVersion string
	// ShowIgnored also lists vulnerabilities silenced by ignores.
	ShowIgnored bool
	// DBNote is a line about the database (its age) for the table.
	DBNote string
}

// Write writes images in format.
func Write(w io.Writer, format string, images []*vulnscan.Image, o Options) error {
	switch format {
	case "table":
		return Table(w, images, o)
	case "json":
		return JSON(w, images, o)
	case "sarif":
		return SARIF(w, images, o)
	}
	return fmt.Errorf("unknown output format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// Table writes a section per image: its digest, then one line per
// vulnerability, most severe first.
func Table(w io.Writer, images []*vulnscan.Image, o Options) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, img := range images {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		fmt.Fprintf(tw, "IMAGE %s\n", clean(img.Ref))
		if img.Error != "" {
			fmt.Fprintf(tw, "  NOT SCANNED: %s\n", clean(img.Error))
			continue
		}
		fmt.Fprintf(tw, "  digest %s  platform %s  %d packages", img.Digest, orDash(img.Platform), img.Packages)
		if img.Cached {
			fmt.Fprint(tw, " (cached inventory)")
		}
		fmt.Fprintln(tw)
		for _, p := range img.Problems {
			fmt.Fprintf(tw, "  PROBLEM: %s\n", clean(p))
		}
		list := img.Vulnerabilities
		if o.ShowIgnored {
			list = append(append([]vulnscan.Vulnerability(nil), list...), img.Ignored...)
		}
		if len(list) == 0 {
			fmt.Fprintln(tw, "  no known vulnerabilities")
		} else {
			fmt.Fprintln(tw, "  SEVERITY\tID\tALIASES\tPACKAGE\tINSTALLED\tFIXED\tSUMMARY")
			for _, v := range list {
				sev := v.Severity
				if v.Score > 0 {
					sev += " " + strconv.FormatFloat(v.Score, 'f', 1, 64)
				}
				if v.Ignored != nil {
					sev = "ignored"
				}
				fixed := v.Fixed
				if fixed == "" {
					fixed = "(no fix)"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", sev, v.ID, orDash(strings.Join(v.Aliases, ",")),
					clean(v.Package), clean(v.Installed), clean(fixed), clean(truncate(v.Summary, 60)))
			}
		}
		fmt.Fprintf(tw, "  %s\n", counts(img))
	}
	if o.DBNote != "" {
		fmt.Fprintf(tw, "\n%s\n", o.DBNote)
	}
	return tw.Flush()
}

func counts(img *vulnscan.Image) string {
	by := map[string]int{}
	for _, v := range img.Vulnerabilities {
		by[v.Severity]++
	}
	var parts []string
	for _, s := range []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"} {
		if by[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", by[s], strings.ToLower(s)))
		}
	}
	s := fmt.Sprintf("%d vulnerabilities", len(img.Vulnerabilities))
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	if n := len(img.Ignored); n > 0 {
		s += fmt.Sprintf(", %d ignored", n)
	}
	return s
}

// JSON writes {"images": [...]}.
func JSON(w io.Writer, images []*vulnscan.Image, o Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Tool   string            `json:"tool"`
		Images []*vulnscan.Image `json:"images"`
	}{"kguard " + o.ToolVersion, images})
}

// SARIF writes one run; rules are the advisories found.
func SARIF(w io.Writer, images []*vulnscan.Image, o Options) error {
	type msg struct {
		Text string `json:"text"`
	}
	type rule struct {
		ID               string            `json:"id"`
		ShortDescription msg               `json:"shortDescription"`
		HelpURI          string            `json:"helpUri,omitempty"`
		Properties       map[string]string `json:"properties"`
	}
	type logical struct {
		Name               string `json:"name"`
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Kind               string `json:"kind"`
	}
	type location struct {
		LogicalLocations []logical `json:"logicalLocations"`
	}
	type result struct {
		RuleID              string              `json:"ruleId"`
		Level               string              `json:"level"`
		Message             msg                 `json:"message"`
		Locations           []location          `json:"locations"`
		PartialFingerprints map[string]string   `json:"partialFingerprints"`
		Suppressions        []map[string]string `json:"suppressions,omitempty"`
	}
	type notification struct {
		Level   string `json:"level"`
		Message msg    `json:"message"`
	}
	rules := map[string]rule{}
	results := []result{}
	var notes []notification
	for _, img := range images {
		if img.Error != "" {
			notes = append(notes, notification{"error", msg{img.Error}})
		}
		for _, p := range img.Problems {
			notes = append(notes, notification{"error", msg{p}})
		}
		all := append(append([]vulnscan.Vulnerability(nil), img.Vulnerabilities...), img.Ignored...)
		for _, v := range all {
			if _, ok := rules[v.ID]; !ok {
				rules[v.ID] = rule{ID: v.ID, ShortDescription: msg{orDash(v.Summary)}, HelpURI: "https://osv.dev/vulnerability/" + v.ID,
					Properties: map[string]string{"security-severity": securitySeverity(v), "severity": v.Severity}}
			}
			fixed := "no fixed version yet"
			if v.Fixed != "" {
				fixed = "fixed in " + v.Fixed
			}
			r := result{
				RuleID: v.ID, Level: level(v.Severity),
				Message:             msg{fmt.Sprintf("%s %s in image %s is affected by %s (%s)", v.Package, v.Installed, img.Ref, v.ID, fixed)},
				Locations:           []location{{LogicalLocations: []logical{{Name: v.Package, FullyQualifiedName: img.Ref + "#" + v.Path + "#" + v.Package, Kind: "package"}}}},
				PartialFingerprints: map[string]string{"kguard-image/v1": fingerprint(img.Ref, v)},
			}
			if v.Ignored != nil {
				r.Suppressions = []map[string]string{{"kind": "external", "justification": v.Ignored.Reason}}
			}
			results = append(results, r)
		}
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	rl := make([]rule, 0, len(ids))
	for _, id := range ids {
		rl = append(rl, rules[id])
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name": "kguard", "version": o.ToolVersion, "informationUri": "https://github.com/kguard/kguard", "rules": rl,
			}},
			"invocations": []any{map[string]any{"executionSuccessful": len(notes) == 0, "toolExecutionNotifications": notes}},
			"results":     results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func securitySeverity(v vulnscan.Vulnerability) string {
	if v.Score > 0 {
		return strconv.FormatFloat(v.Score, 'f', 1, 64)
	}
	return map[string]string{"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "3.0"}[v.Severity]
}

func level(sev string) string {
	switch sev {
	case "CRITICAL", "HIGH":
		return "error"
	case "MEDIUM":
		return "warning"
	}
	return "note"
}

// fingerprint is stable across scans of the same image name: the
// repository (not the tag or digest), the advisory and the package.
func fingerprint(ref string, v vulnscan.Vulnerability) string {
	repo := ref
	if i := strings.LastIndex(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	h := sha256.Sum256([]byte(repo + "\x00" + v.ID + "\x00" + v.Package + "\x00" + v.Path))
	return hex.EncodeToString(h[:16])
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// clean keeps control characters from images and advisories off the
// terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
