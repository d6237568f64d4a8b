// Package imagereport writes the results of `kguard images scan`: a table
// per image, JSON, and SARIF 2.1.0 (one result per vulnerable package, the
// image as the logical location, CVSS as GitHub's security-severity).
package imagereport
