// Package clidoc makes kguard's command-line reference, docs/cli/: one
// Markdown file per command, rendered from the cobra command tree by
// cobra's own generator (github.com/spf13/cobra/doc), so the reference
// says what --help says. Files renders the tree in memory, Write puts it
// on disk and Compare tells what on disk differs, for a test that fails
// when docs/cli/ is stale (internal/cli's TestCLIReference, rewritten
// with go test ./internal/cli -update).
package clidoc
