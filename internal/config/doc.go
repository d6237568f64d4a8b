// Package config reads kguard's project configuration, .kguard.yaml: which
// rules run, severity overrides, settings rules read (allowed registries,
// target Kubernetes version) and exceptions by rule, namespace, kind and
// name glob, each with a reason and an optional expiry date, and the custom
// resources whose pod templates rules judge (podTemplates).
package config
