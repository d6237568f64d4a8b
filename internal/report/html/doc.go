// Package html writes the scan report as one self-contained HTML page
// (-o html) that can be handed to someone: no network, no external script,
// font or style (a Content-Security-Policy in the page forbids them), all
// CSS and script inline.
//
// The page has an overview (severity totals, a score per category, severity
// by namespace as a heat map, the rules with most findings, the framework
// scores), a searchable, filterable list of every finding with its
// remediation and source location, the framework controls, the RBAC
// escalation paths drawn as an SVG (a layered layout computed here), the
// network reachability matrix (the figure of internal/netpol/matrixhtml),
// and what could not be evaluated or read.
//
// The findings list is rendered by the page's script from a JSON block, a
// page of 50 at a time, so that it stays usable at 100,000 findings; the
// block interns rule metadata, objects and field paths in tables so each
// finding costs little more than its message. The pictures need the scan's
// analyses (report.Options.Analyses); without them the page says so.
//
// The category score is the share of a category's rules that ran and found
// nothing; a framework's score is the share of its judged controls that
// pass (package framework).
package html
