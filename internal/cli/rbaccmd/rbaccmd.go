// Package rbaccmd implements `kguard rbac`: who-can, can-i, permissions,
// escalation paths and tightening from an audit log, over manifests or a
// live cluster.
package rbaccmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/rbac"
)

// Input says where the RBAC objects come from: the shared input flags
// (files get the built-in policy every cluster has, unless
// --no-builtin-rbac). -n is also the namespace of the request.
type Input struct{ cmdutil.Input }

func (in *Input) addFlags(cmd *cobra.Command) {
	in.AddFlags(cmd, cmdutil.InputFlags{
		What:          "the RBAC objects",
		NamespaceHelp: "namespace of the request (empty: cluster scope); also where input objects that name no namespace go",
		BuiltinRBAC:   true,
		TargetVersion: true,
	})
}

// Load reads the objects through the input pipeline and builds the RBAC
// model the scan's rules use (the same analysis, so the same answer).
func (in *Input) Load(ctx context.Context) (*input.Result, *rbac.Model, error) {
	res, err := in.Input.Load(ctx)
	if err != nil {
		return nil, nil, err
	}
	return res, analysis.Get(analysis.NewMemo(res.Inventory), rbac.ModelAnalysis), nil
}

// subjectArg parses a SUBJECT argument.
func subjectArg(arg string) (rbac.User, error) {
	u, ok := rbac.ParseSubject(arg)
	if !ok {
		return u, cmdutil.UsageErrorf("subject %q: want serviceaccount:NS:NAME, user:NAME or group:NAME", arg)
	}
	return u, nil
}

// NewCmd returns `kguard rbac` and its subcommands.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Query RBAC: who can do what, through which binding, and how far it reaches",
		Long: `Answer RBAC questions exactly as the API server's authorizer would, from
manifests (-f) or a live cluster (--cluster): who may make a request, what
one identity may do, the escalation paths from workloads to cluster-admin,
and the least privilege an identity really needs, from an audit log.

With files, the RBAC objects every cluster has besides them (the API
server's built-in policy: cluster-admin, admin, edit, view, the system:
roles and their bindings, of the release nearest --target-version) count
too, marked "(built-in)"; an input object of the same kind and name
replaces a built-in one, and --no-builtin-rbac leaves them all out. A live
cluster has its own.

Subjects are written serviceaccount:NAMESPACE:NAME (or the token's user
name system:serviceaccount:NAMESPACE:NAME), user:NAME or group:NAME.`,
		Example: `  kguard rbac who-can get secrets -n shop -f deploy/
  kguard rbac who-can create pods/exec -n shop --cluster
  kguard rbac can-i serviceaccount:shop:web list secrets -n shop -f deploy/
  kguard rbac permissions serviceaccount:shop:web --cluster`,
	}
	cmdutil.Group(cmd)
	cmd.AddCommand(newWhoCanCmd(s, RunWhoCan), newCanICmd(s, RunCanI), newPermissionsCmd(s, RunPermissions), newPathsCmd(s, RunPaths), newTightenCmd(s, RunTighten))
	return cmd
}
