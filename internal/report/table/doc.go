// Package table writes the human-oriented report `kguard scan` prints by
// default: findings grouped by resource, then everything that could not be
// evaluated or read, then one summary line.
//
// The output is stable (it depends only on the result, never on map order,
// time or terminal width) so CI logs can be diffed. Colour is used only when
// report.Options.Color is set, and text that comes from the scanned
// manifests is stripped of control characters so a hostile manifest cannot
// send escape sequences to the reader's terminal.
package table
