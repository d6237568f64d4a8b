// Package finding is kguard's shared vocabulary: severities, categories,
// references to standards, and the Finding every engine and report speaks.
// It is a leaf: it imports nothing of kguard but the inventory's object
// references, so engines (rbac, netpol, controlplane, ...) and reports can
// use it without importing the rule registry.
package finding
