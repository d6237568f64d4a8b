// Package netpolcmd implements `kguard netpol`: whether one endpoint may
// reach another and which NetworkPolicies decide it, the reachability
// matrix of the workloads (table, JSON or an HTML heat-map), and
// least-privilege policies generated from the intent manifests declare.
package netpolcmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/analysis"
	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/input"
	"github.com/kguard/kguard/internal/netpol"
)

// Input says where the objects come from: the shared input flags. -n also
// narrows the answer to one namespace, but a cluster is read whole:
// reachability into a namespace depends on the pods of every other.
type Input struct{ cmdutil.Input }

func (in *Input) addFlags(cmd *cobra.Command, namespaceHelp string) {
	in.ReadAllNamespaces = true
	in.AddFlags(cmd, cmdutil.InputFlags{
		What:          "the workloads, Services and NetworkPolicies",
		NamespaceHelp: namespaceHelp + "; also where input objects that name no namespace go",
	})
}

// Model reads the objects through the input pipeline and builds the
// NetworkPolicy model the scan's network rules use.
func (in *Input) Model(ctx context.Context) (*input.Result, *netpol.Model, error) {
	res, err := in.Load(ctx)
	if err != nil {
		return nil, nil, err
	}
	return res, analysis.Get(analysis.NewMemo(res.Inventory), netpol.ModelAnalysis), nil
}

// NewCmd returns `kguard netpol` and its subcommands.
func NewCmd(s *cmdutil.Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netpol",
		Short: "Query NetworkPolicies: who can reach whom, the whole matrix, and policies to start from",
		Long: `Evaluate NetworkPolicies as the Kubernetes documentation defines them, over
manifests (PATH or -f) or a live cluster (--cluster): whether one workload (or an
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
	cmdutil.Group(cmd)
	cmd.AddCommand(newCanCmd(s, RunCan), newMatrixCmd(s, RunMatrix), newGenerateCmd(s, RunGenerate))
	return cmd
}
