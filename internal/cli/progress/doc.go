// Package progress draws one status line on standard error while long work
// runs (reading files or a cluster, running the rules, writing a report),
// so that a scan of tens of thousands of objects does not look hung.
//
// The line appears only when standard error is a terminal, not in CI (the
// CI variable that CI systems set) and not on a dumb terminal, and only
// once the work has taken longer than a delay (a second by default): fast
// scans and logs stay clean. It is redrawn in place a few times a second
// from a status function that reads the work's counters, so the work
// itself never writes to the terminal, and it is erased when the work ends.
package progress
