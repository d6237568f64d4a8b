// Package report holds what every report writer shares: the Options a
// writer is given, the Format descriptor the CLI looks formats up by, and a
// few helpers that must behave the same in every format (whether a report is
// partial, how a not-evaluated entry or a rule's references read).
//
// Each output format is its own package below this one (table, json, sarif,
// junit, ...) exposing
//
//	func Write(w io.Writer, res *scan.Result, opts report.Options) error
//
// and package formats lists them. Writers depend on this package, never
// the other way round, so adding a format touches only its own package and
// one line in formats.
package report
