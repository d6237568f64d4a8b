// Package scan runs the enabled rules of a registry over an inventory and
// produces a Result: findings in a stable order, suppressed findings kept
// and counted, and everything that could not be evaluated said so. It is
// the one path that the CLI, the admission webhook and the in-cluster mode
// all use.
package scan
