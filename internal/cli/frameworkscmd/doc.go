// Package frameworkscmd implements `kguard frameworks`: list the
// compliance frameworks kguard evaluates (--framework) and show how one
// maps to rules.
package frameworkscmd
