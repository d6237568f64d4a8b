// Package framework evaluates a scan against compliance frameworks: the CIS
// Kubernetes Benchmark, the NSA-CISA Kubernetes Hardening Guide, MITRE
// ATT&CK (Containers) and the two Pod Security Standards profiles.
//
// A framework is data (one YAML file per framework under data/, embedded):
// its source document and version, the revision of the mapping, and its
// controls by section. The model is generic: a framework is controls, each
// mapped to kguard rule IDs. Rules map to controls through their references
// to standards (finding.References; the framework's key says which field)
// and through rule IDs a control lists explicitly. A test checks every
// reference a rule makes against the controls and every rule a control
// names against the registry.
//
// Evaluate judges every control from a scan result: fail when a rule
// mapped to it has a finding that counts, pass when its rules ran and found
// nothing, not evaluated (with the reason) when none of its rules ran or
// one could not be evaluated, or when no rule covers it, and manual when
// the standard itself marks the check manual and no rule covers it. The
// score is the share of passing controls among those that passed or failed.
package framework
