// Package vulndb is kguard's offline vulnerability database: OSV records
// (files, directories or the per-ecosystem zip exports) imported into one
// compact indexed file that opens by reading its index only, and matching
// of installed packages against it with each ecosystem's own version
// order (osv-scalibr's semantic package: Debian epochs, revisions and
// "~", Alpine suffixes, RPM epoch:version-release, SemVer and Go
// pseudo-versions, PEP 440, Maven), release-aware ecosystems ("Debian:12"
// is not "Debian:11"), fixed and last_affected events, and withdrawn
// records removed.
package vulndb
