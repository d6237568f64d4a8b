package configaudit

import (
	"fmt"
	"path/filepath"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/rules"
)

// docURL is where exceptions are documented.
const docURL = "https://github.com/kguard/kguard/blob/main/README.md#suppressing-findings"

// Rules returns the family's rules.
func Rules() []*rules.Rule {
	return []*rules.Rule{expired(), unused()}
}

// Rule IDs, for commands that echo these findings on standard error.
const (
	IDExpired = "config-exception-expired"
	IDUnused  = "config-exception-unused"
)

func expired() *rules.Rule {
	return &rules.Rule{
		ID:       IDExpired,
		Category: finding.CategoryConfig,
		Severity: finding.SeverityInfo,
		Title:    "Config exception has expired",
		Rationale: "An exception with an expiry date stops suppressing on the day after it. The findings it " +
			"silenced count again, which is the point of the date, but nothing else says why they came back: " +
			"the exception should be renewed with a reason or removed.",
		Remediation: "Fix what the exception covered and delete it from .kguard.yaml, or, if it is still " +
			"needed, review it and move its expires date forward.",
		References:     finding.References{URLs: []string{docURL}},
		CheckInventory: checkExpired,
	}
}

func unused() *rules.Rule {
	return &rules.Rule{
		ID:       IDUnused,
		Category: finding.CategoryConfig,
		Severity: finding.SeverityInfo,
		Title:    "Config exception matches no rule or no object",
		Rationale: "An exception whose rules match no rule that ran, or whose namespaces, kinds and names " +
			"match no scanned object, suppresses nothing: a typo in a glob, or a leftover for something " +
			"that is gone. A typo is worse than noise: the finding it was meant for is still reported, and " +
			"the next exception someone writes copies the mistake.",
		Remediation: "Correct the exception's globs (rule IDs are listed by `kguard rules`), or delete it. " +
			"An exception for objects scanned by another run (another directory or cluster) belongs in " +
			"that run's config.",
		References:     finding.References{URLs: []string{docURL}},
		CheckInventory: checkUnused,
	}
}

func checkExpired(p *rules.Pass) {
	for i := range p.Settings.Exceptions {
		e := &p.Settings.Exceptions[i]
		if e.Expired(p.Now()) {
			p.Reportf(configObject(e), fmt.Sprintf("exceptions[%d].expires", e.Index),
				"exception %d expired on %s and no longer suppresses: %s", e.Index+1, e.Expires, e.Describe)
		}
	}
}

func checkUnused(p *rules.Pass) {
	for i := range p.Settings.Exceptions {
		e := &p.Settings.Exceptions[i]
		if e.Expired(p.Now()) {
			continue // config-exception-expired says so
		}
		field := fmt.Sprintf("exceptions[%d]", e.Index)
		if !anyRule(e, p.Settings.RulesRun) {
			p.Reportf(configObject(e), field+".rules", "exception %d matches no rule that ran: %s", e.Index+1, e.Describe)
			continue
		}
		if !anyObject(e, p.Inventory()) {
			p.Reportf(configObject(e), field, "exception %d matches none of the %d scanned objects: %s", e.Index+1, p.Inventory().Len(), e.Describe)
		}
	}
}

func anyRule(e *rules.ConfigException, ids []string) bool {
	for _, id := range ids {
		if e.MatchesRule(id) {
			return true
		}
	}
	return false
}

func anyObject(e *rules.ConfigException, inv *inventory.Inventory) bool {
	for _, o := range inv.Objects() {
		if e.MatchesObject(o.Ref) {
			return true
		}
	}
	return false
}

// configObject stands for the config file, so that findings about its
// exceptions name it and the exception's line.
func configObject(e *rules.ConfigException) *inventory.Object {
	name := ".kguard.yaml"
	if e.Location.File != "" {
		name = filepath.Base(e.Location.File)
	}
	return &inventory.Object{
		Ref:    inventory.Ref{APIVersion: "kguard.io/v1", Kind: "KguardConfig", Name: name},
		Meta:   &metav1.ObjectMeta{Name: name},
		Source: e.Location,
	}
}
