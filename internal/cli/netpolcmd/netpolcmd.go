// Package netpolcmd implements `kguard netpol`: whether one endpoint may
// reach another and which NetworkPolicies decide it, the reachability
// matrix of the workloads (table, JSON or an HTML heat-map), and
// least-privilege policies generated from the intent manifests declare.
package netpolcmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/netpol"
)

// Input says where the objects come from: files or a live cluster.
type Input struct{ cmdutil.Input }

func (in *Input) addFlags(cmd *cobra.Command) {
	in.AddFlags(cmd, "the workloads, Services and NetworkPolicies")
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
