// Package inventory loads Kubernetes objects from manifests (files,
// directories, stdin) and holds them, decoded once into the typed k8s.io/api
// structs, in an Inventory indexed by kind, namespace and name. Every object
// remembers where it came from (file and line, or a live cluster) so that
// every finding can point at it.
//
// Objects of kinds kguard does not know are kept as unstructured objects:
// rules for CRDs can still see them and nothing crashes on them.
package inventory
