// Package inventory loads Kubernetes objects from manifests (files,
// directories, stdin) and holds them, decoded once into the typed k8s.io/api
// structs, in an Inventory indexed by kind, namespace and name. Every object
// remembers where it came from (file and line, or a live cluster) so that
// every finding can point at it.
//
// YAML is read as kubectl and Helm read it: a stream is cut into documents
// as apimachinery's YAMLReader cuts it, and each document becomes the JSON
// that sigs.k8s.io/yaml.YAMLToJSON makes of it (YAML 1.1 by way of
// go.yaml.in/yaml/v2: yes/no/on/off are booleans, 0755 is octal, merge keys
// work, a repeated key keeps its last value). A fast converter handles the
// block style manifests almost always use and falls back to yaml.v2 for the
// rest; differential and fuzz tests hold both to sigs.k8s.io/yaml. kguard
// adds its own bounds (nesting depth, file size) and refuses, instead of
// guessing, the one case where kubectl's reading is random.
//
// Objects of kinds kguard does not know are kept as unstructured objects:
// rules for CRDs can still see them and nothing crashes on them.
package inventory
