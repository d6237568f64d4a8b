// Package netpolcmd implements `kguard netpol`: whether one endpoint may
// reach another and which NetworkPolicies decide it, the reachability
// matrix of the workloads (table, JSON or an HTML heat-map), and
// least-privilege policies generated from the intent manifests declare.
package netpolcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/cluster"
	"github.com/kguard/kguard/internal/netpol"
)

// Input says where the objects come from: files or a live cluster.
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
	f.StringArrayVarP(&in.Files, "filename", "f", nil, "manifest file or directory with the workloads, Services and NetworkPolicies (repeatable)")
	f.BoolVar(&in.Cluster, "cluster", false, "read the live cluster of the kubeconfig context")
	f.StringVar(&in.Kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&in.Context, "context", "", "kubeconfig context to use")
}

// Load reads the objects.
func (in *Input) Load(ctx context.Context) (*inventory.Inventory, error) {
	switch {
	case in.Cluster && len(in.Files) > 0:
		return nil, cmdutil.UsageErrorf("use either -f or --cluster, not both")
	case in.Cluster:
		cfg := in.RESTConfig
		if cfg == nil {
			rules := clientcmd.NewDefaultClientConfigLoadingRules()
			rules.ExplicitPath = in.Kubeconfig
			var err error
			cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: in.Context}).ClientConfig()
			if err != nil {
				return nil, cmdutil.UsageErrorf("cluster connection: %v", err)
			}
		}
		res, err := cluster.Load(ctx, cfg, cluster.Options{Name: in.Context})
		if err != nil {
			return nil, fmt.Errorf("read cluster: %w", err)
		}
		for _, f := range res.Forbidden {
			fmt.Fprintf(in.Streams.ErrOut, "warning: may not read %s (%s): answers may be incomplete\n", f.Resource.GroupResource(), f.Permission)
		}
		return inventory.New(res.Objects), nil
	case len(in.Files) == 0:
		return nil, cmdutil.UsageErrorf("no input: give -f FILE|DIR or --cluster")
	}
	res, err := cmdutil.LoadManifests(ctx, in.Streams, in.Files, inventory.LoadOptions{})
	if err != nil {
		return nil, err
	}
	if len(res.Errors) > 0 {
		return nil, cmdutil.Exit(cmdutil.ExitUsage)
	}
	return res.Inventory, nil
}

// Model reads the objects and builds the NetworkPolicy model.
func (in *Input) Model(ctx context.Context) (*inventory.Inventory, *netpol.Model, error) {
	inv, err := in.Load(ctx)
	if err != nil {
		return nil, nil, err
	}
	return inv, netpol.Build(inv, netpol.Options{}), nil
}

// NewCmd returns `kguard netpol` and its subcommands.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netpol",
		Short: "Query NetworkPolicies: who can reach whom, the whole matrix, and policies to start from",
		Long: `Evaluate NetworkPolicies as the Kubernetes documentation defines them, over
manifests (-f) or a live cluster (--cluster): whether one workload (or an
address outside the cluster) may reach another and which policies decide
it, the reachability matrix of every workload, and least-privilege
policies generated from what the manifests declare.

Workloads are written NAMESPACE/NAME, the name of a Pod or of a workload
(Deployment, StatefulSet, DaemonSet, Job, CronJob...). Addresses outside
the cluster are written as an IP address or a CIDR.`,
		Example: `  kguard netpol can shop/frontend shop/api -f deploy/
  kguard netpol can 203.0.113.7 shop/frontend --port 8080 -f deploy/
  kguard netpol matrix -n shop -o html -f deploy/ > matrix.html
  kguard netpol generate -n shop -f deploy/ > policies.yaml`,
	}
	cmd.AddCommand(newCanCmd(s), newMatrixCmd(s), newGenerateCmd(s))
	return cmd
}
