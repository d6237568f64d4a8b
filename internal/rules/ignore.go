package rules

import (
	"strings"

	"github.com/kguard/kguard/internal/finding"
	"github.com/kguard/kguard/internal/inventory"
)

// Annotations users put on an object to silence rules for it.
const (
	// AnnotationIgnore holds a comma-separated list of rule IDs ("*" for all).
	AnnotationIgnore = "kguard.io/ignore"
	// AnnotationIgnoreReason says why, and is shown with suppressed findings.
	AnnotationIgnoreReason = "kguard.io/ignore-reason"
)

// ignoredByAnnotation reports whether obj's annotations silence ruleID.
func ignoredByAnnotation(obj *inventory.Object, ruleID string) (*finding.Suppression, bool) {
	list := obj.Annotation(AnnotationIgnore)
	if list == "" {
		return nil, false
	}
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		if id == ruleID || id == "*" {
			return &finding.Suppression{By: "annotation", Reason: obj.Annotation(AnnotationIgnoreReason)}, true
		}
	}
	return nil, false
}
