// Package agreement holds kguard's cross-command agreement tests: for the
// same inputs (the bundled examples, every rule fixture and a generated
// corpus), every command that can answer a question gives the answer the
// scan's findings claim. The RBAC findings' claims are confirmed by
// `kguard rbac can-i`, the network findings' by `kguard netpol can`, node
// findings by `kguard scan` of the node's own inventory, and every rule that
// runs at admission gives the webhook the scan's verdict. Each test keeps a
// negative control in the same run: a deliberately broken model must
// disagree, so the comparison is known to be able to fail.
//
// When you add a command or a rule, add it here.
package agreement
