// Package formats lists kguard's report formats, the names users pass to
// `-o`. It is the only place that knows every format, the way
// internal/rules/all is for rule families: a new format is a package under
// internal/report plus one line in All.
package formats
