// Package table writes the human-oriented report `kguard scan` prints by
// default: findings grouped by resource (or by rule, or by namespace), then
// the baseline's fixed findings, everything that could not be evaluated or
// read, and one summary line.
//
// Options select the view: Summary prints counts per rule and severity and
// the resources with the most severe findings instead of every finding;
// Explain prints each rule's remediation under its findings; a Baseline
// marks new findings with "+" and lists the fixed ones.
//
// When Width is set (standard output is a terminal), no line is wider than
// the terminal: a finding that does not fit on one line has its rule on
// the first line and its message wrapped under the rule, and every other
// line wraps with a hanging indent. Widths are counted in terminal columns
// (wide characters and most emoji take two, combining marks none). Without
// Width (pipes, files, CI logs) every line is whole, so output depends only
// on the result, never on map order, time or terminal, and can be diffed.
//
// Colour is used only when report.Options.Color is set, and text that
// comes from the scanned manifests is stripped of control characters so a
// hostile manifest cannot send escape sequences to the reader's terminal.
package table
