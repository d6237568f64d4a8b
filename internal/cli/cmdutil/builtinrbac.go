package cmdutil

import (
	"github.com/spf13/pflag"

	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/k8sversions"
	"github.com/kguard/kguard/internal/rbac/builtin"
)

// BuiltinRBAC is the choice of the built-in RBAC policy for inputs that
// are files: scan and every rbac command take it the same way, so that
// their RBAC answers are the same.
type BuiltinRBAC struct {
	// Off is --no-builtin-rbac.
	Off bool
	// TargetVersion is --target-version where the command has no other
	// use for it (the rbac commands); scan passes its own.
	TargetVersion string
}

// AddFlags registers --no-builtin-rbac and, with targetVersion, the
// --target-version that picks the release whose policy is used.
func (b *BuiltinRBAC) AddFlags(fs *pflag.FlagSet, targetVersion bool) {
	fs.BoolVar(&b.Off, "no-builtin-rbac", false, "with files: do not add the built-in ClusterRoles, ClusterRoleBindings, Roles and RoleBindings every cluster has (cluster-admin, edit, view, system:*); only the files' own RBAC objects grant anything")
	if targetVersion {
		fs.StringVar(&b.TargetVersion, "target-version", "", "with files: Kubernetes release whose built-in RBAC policy is assumed, e.g. 1.36 (default: the newest kguard knows; the nearest release with data is used)")
	}
}

// Attach gives inv, read from files, the built-in RBAC policy of the
// release nearest to target ("" for the newest) as its baseline, unless
// turned off. Objects read from a live cluster must not get it: the
// cluster has its own.
func (b *BuiltinRBAC) Attach(inv *inventory.Inventory, target string) (*inventory.Inventory, error) {
	if b.Off {
		return inv, nil
	}
	r, err := k8sversions.Target(target)
	if err != nil {
		return nil, UsageErrorf("--target-version: %v", err)
	}
	inv, _, err = builtin.Attach(inv, r)
	return inv, err
}
