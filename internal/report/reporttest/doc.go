// Package reporttest provides what the report writers' tests share: one
// hand-built scan result that exercises every corner a report must handle
// (a live-cluster object without a file, suppressed findings, a
// not-evaluated entry, input errors, quotes, <, & and non-ASCII text in
// messages), and golden-file comparison with a -update flag.
package reporttest
