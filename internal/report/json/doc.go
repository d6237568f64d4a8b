// Package json writes the machine-readable report, kguard's JSON output
// contract. Other tools parse it, so existing fields never change; new
// fields may be added.
//
//	{
//	  "findings": [{"rule", "category", "severity", "title",
//	                "resource": {"apiVersion", "kind", "namespace", "name"},
//	                "message", "field", "source": {"file", "line"},
//	                "cis": [the CIS Benchmark checks the finding fails],
//	                "fingerprint", "remediation", "baseline"}],
//	  "suppressed":   [finding + "suppression": {"by", "reason", "expires"}],
//	  "notEvaluated": [{"subject", "namespace", "reason", "permission"}],
//	  "errors":       [{"file", "line", "message"}],
//	  "summary": {"objects", "rules", "findings",
//	              "bySeverity": {"critical", "high", "medium", "low", "info"},
//	              "suppressed", "notEvaluated", "inputErrors", "partial",
//	              "byRule": [{"rule", "findings", "bySeverity"}],
//	              "filtered": {"findings", "by"},
//	              "baseline": {"file", "new", "unchanged", "fixed"}},
//	  "tool": {"name", "version"},
//	  "fixed": [{"rule", "severity", "title", "resource", "message", "field",
//	             "source", "fingerprint"}],
//	  "frameworks": [{"name", "title", "version", "mapping", "source", "url",
//	                  "score", "counts": {"pass", "fail", "notEvaluated", "manual"},
//	                  "partial", "controls": [{"id", "title", "section", "status",
//	                  "reason", "rules", "failing": [{"rule", "findings"}],
//	                  "findings"}]}]
//	}
//
// Rules for consumers: "findings", "notEvaluated" and "errors" are always
// arrays, never null. "suppressed" is present only when suppressed findings
// were asked for (--show-suppressed); their number is always in the
// summary. resource.namespace is metadata.namespace as written ("" when
// absent or cluster-scoped). source.file is "" and source.line 0 for objects
// read from a live cluster, which carry source.cluster instead. "partial" is
// true when something was not evaluated or an input could not be read: a
// partial report is never a clean pass. "fingerprint" identifies a finding
// across runs (rule, API group, kind, namespace, name and field; not the
// file, line or message), see finding.Fingerprint. "remediation" is the
// rule's fix, "" when the rule is not known.
//
// With a baseline (--baseline, a previous JSON report), every finding has
// "baseline": "new" or "unchanged", the summary has "baseline" with the
// counts, and "fixed" lists the baseline's findings that are gone; without
// one, those keys are absent. "summary.filtered" is present when display
// filters (--severity, --min-severity, --framework) left findings out of
// "findings"; the other summary counts are of what the report lists.
// "summary.byRule" counts findings per rule, most severe first.
//
// "frameworks" is present with --framework: every control of each
// framework with its status ("pass", "fail", "not-evaluated" or "manual"),
// the reason when not evaluated or manual, the rules mapped to it and
// those that found something. "score" is the percentage of passing
// controls among those that passed or failed, rounded to one decimal, or
// null when none did. Output is indented, keys keep the
// order above, and the document ends with a newline. "cis" is left out when
// the finding fails no CIS Kubernetes Benchmark check.
package json
