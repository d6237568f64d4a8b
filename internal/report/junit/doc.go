// Package junit writes the report as JUnit XML, which CI systems (GitLab
// merge request test reports, Jenkins, Azure Pipelines, CircleCI) show as
// test results without any kguard-specific plugin.
//
// Layout, chosen for how those systems display results:
//
//   - <testsuites name="kguard"> holds one <testsuite> per rule category
//     ("kguard.pod-security", "kguard.images", ...), in the registry's
//     category order. A dozen suites stay readable in GitLab's suite list,
//     where one suite per rule would scatter a report over dozens of rows.
//   - Each rule that ran contributes test cases with classname
//     "kguard.<category>.<rule-id>", which Jenkins shows as package
//     "kguard.<category>" and class "<rule-id>":
//   - one <testcase> per (rule, resource) with findings, named
//     "<rule-id> on <Kind namespace/name>", with file="..." for GitLab.
//     It fails when one of its findings fails the run (report.Gate:
//     --fail-on, and --fail-on-new with a baseline), so the test report and
//     the exit status agree. <failure type="<highest severity>"
//     message="..."> carries the finding messages; its body lists every
//     finding with field, file:line and baseline status, then the
//     remediation and the rule's documentation link. A case whose findings
//     are all below the threshold passes, with the same text in
//     <system-out>.
//   - one <testcase> per (rule, resource) whose findings were suppressed,
//     with <skipped message="suppressed by ...: reason">.
//   - a rule without any unsuppressed finding gets one passing test case,
//     "<rule-id>: no findings", so the pass count means "rules that passed".
//   - Anything not evaluated is a test case with <error type="not-evaluated">
//     in suite "kguard.not-evaluated", and every input that could not be read
//     one with <error type="input-error"> in suite "kguard.inputs": a
//     partial scan fails the test run instead of reading as green.
//
// There are no timestamps or durations, so the same scan gives the same
// bytes. Text is escaped for XML, and characters XML 1.0 cannot carry are
// replaced with U+FFFD.
package junit
