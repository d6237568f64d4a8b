// Package rules defines what a kguard rule is (metadata plus a small check
// function), the findings rules produce, and the Registry: an explicit,
// validated list of rules that is the single source for `kguard rules`,
// docs/rules.md, SARIF rule metadata and the admission webhook.
//
// Rule families live in sub-packages (rules/podsecurity, rules/images, ...),
// each exporting a function that returns its rules; internal/rules/all builds
// the default registry from those lists. There is no init()-time global
// registration.
package rules
