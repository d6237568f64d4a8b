// Package k8sversions is kguard's knowledge of Kubernetes releases: how to
// parse a release name ("1.25", "v1.25.3"), which release is the newest one
// kguard knows, and which API group/version/kinds each release deprecated
// or stopped serving, with their replacements.
//
// The table is plain Go data (apis.go), checked by hand against the
// Kubernetes "Deprecated API Migration Guide" and against the lifecycle
// metadata that k8s.io/api generates for each type (the numbers the API
// server itself uses for its "deprecated in v1.X+, unavailable in v1.Y+"
// warnings); the tests cross-check the two. The patching rules read it; so
// can a CLI that validates --target-version.
package k8sversions
