// Package sarif writes the report as SARIF 2.1.0, the format GitHub code
// scanning and other result viewers read.
//
// One run, tool driver "kguard", with metadata for every rule that ran.
// Choices a reader of the output should know:
//
//   - Levels: critical and high are "error", medium is "warning", low and
//     info are "note".
//   - GitHub ranks alerts by the rule property "security-severity", a number
//     as a string: critical 9.5, high 8.0, medium 5.5, low 3.0, info 1.0.
//     GitHub's bands are critical > 9.0, high 7.0-8.9, medium 4.0-6.9,
//     low 0.1-3.9, so kguard's severities land in the matching band (info
//     shows as low; GitHub has no lower band). The value is the rule's
//     default severity; a severity changed by config or by context shows in
//     the result's level and its "severity" property.
//   - Locations: a file found relative to the working directory is a
//     relative URI with uriBaseId "%SRCROOT%", forward slashes, with the
//     object's first line as region.startLine; run kguard from the
//     repository root so that paths match the checkout. An absolute path is
//     a file:// URI. Every result also has a logical location
//     "Kind/namespace/name" (or "Kind/name" without a namespace) of kind
//     "resource"; objects
//     read from a live cluster or standard input have only that, which
//     SARIF viewers show but GitHub code scanning, which needs a file,
//     does not.
//   - partialFingerprints["kguard/v2"] is the finding's fingerprint, the
//     same as the JSON report's (finding.Fingerprint): rule, API group,
//     kind, namespace, name and field path, not file, line or message, so
//     an alert survives edits above the object, rewording and moving the
//     object to another file. (v1 also hashed the file, so that one object
//     rendered from two files, such as two Kustomize overlays into the same
//     namespace, stayed two alerts; those now share one fingerprint.)
//   - With a baseline (--baseline), every result that counts has
//     baselineState "new" or "unchanged". Findings of the baseline that are
//     gone are not written as "absent" results: code scanning closes an
//     alert when its result is missing, which is what fixed means there.
//   - Suppressed findings are results with a suppression: kind "inSource"
//     for the kguard.io/ignore annotation, "external" for a config
//     exception, with the reason as justification. They are always present,
//     so that a viewer shows them as dismissed rather than fixed.
//   - Objects or rules that could not be evaluated, and inputs that could
//     not be read, are error notifications in
//     invocations[0].toolExecutionNotifications; executionSuccessful is
//     false when there is any.
//   - Output contains no timestamps, so the same scan gives the same bytes.
package sarif
