// Package rbaccmd implements `kguard rbac`: who-can, can-i, permissions,
// escalation paths and tightening from an audit log, over manifests or a
// live cluster.
package rbaccmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/cluster"
	"github.com/kguard/kguard/internal/rbac"
)

// Input says where the RBAC objects come from: files or a live cluster.
type Input struct {
	Streams    *cmdutil.Streams
	Files      []string
	Cluster    bool
	Kubeconfig string
	Context    string
	// RESTConfig, when set, is used instead of the kubeconfig (tests).
	RESTConfig *rest.Config
}

func (in *Input) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVarP(&in.Files, "filename", "f", nil, "manifest file or directory with the RBAC objects (repeatable)")
	f.BoolVar(&in.Cluster, "cluster", false, "read RBAC from the live cluster of the kubeconfig context")
	f.StringVar(&in.Kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&in.Context, "context", "", "kubeconfig context to use")
}

// Load reads the objects and builds the RBAC model.
func (in *Input) Load(ctx context.Context) (*inventory.Inventory, *rbac.Model, error) {
	switch {
	case in.Cluster && len(in.Files) > 0:
		return nil, nil, cmdutil.UsageErrorf("use either -f or --cluster, not both")
	case in.Cluster:
		cfg := in.RESTConfig
		if cfg == nil {
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			rules.ExplicitPath = in.Kubeconfig
			var err error
			cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: in.Context}).ClientConfig()
			if err != nil {
				return nil, nil, cmdutil.UsageErrorf("cluster connection: %v", err)
			}
		}
		res, err := cluster.Load(ctx, cfg, cluster.Options{Name: in.Context})
		if err != nil {
			return nil, nil, fmt.Errorf("read cluster: %w", err)
		}
		for _, f := range res.Forbidden {
			fmt.Fprintf(in.Streams.ErrOut, "warning: may not read %s (%s): answers may be incomplete\n", f.Resource.GroupResource(), f.Permission)
		}
		inv := inventory.New(res.Objects)
		return inv, rbac.Build(inv), nil
	case len(in.Files) == 0:
		return nil, nil, cmdutil.UsageErrorf("no input: give -f FILE|DIR or --cluster")
	}
	res, err := cmdutil.LoadManifests(ctx, in.Streams, in.Files, inventory.LoadOptions{})
	if err != nil {
		return nil, nil, err
	}
	if len(res.Errors) > 0 {
		return nil, nil, cmdutil.Exit(cmdutil.ExitUsage)
	}
	return res.Inventory, rbac.Build(res.Inventory), nil
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

Subjects are written serviceaccount:NAMESPACE:NAME (or the token's user
name system:serviceaccount:NAMESPACE:NAME), user:NAME or group:NAME.`,
		Example: `  kguard rbac who-can get secrets -n shop -f deploy/
  kguard rbac who-can create pods/exec -n shop --cluster
  kguard rbac can-i serviceaccount:shop:web list secrets -n shop -f deploy/
  kguard rbac permissions serviceaccount:shop:web --cluster`,
	}
	cmd.AddCommand(newWhoCanCmd(s), newCanICmd(s), newPermissionsCmd(s), newPathsCmd(s), newTightenCmd(s))
	return cmd
}
