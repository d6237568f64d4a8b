package cmdutil

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
	"github.com/kguard/kguard/internal/inventory/cluster"
)

// Input is where a query command reads objects from: manifest files
// (-f, repeatable) or a live cluster (--cluster).
type Input struct {
	Streams    *Streams
	Files      []string
	Cluster    bool
	Kubeconfig string
	Context    string
	// RESTConfig, when set, is used instead of the kubeconfig (tests).
	RESTConfig *rest.Config
	// PodTemplates says which custom resources are workloads (nil: the
	// well-known ones).
	PodTemplates *extract.Templates
}

// AddFlags registers -f, --cluster, --kubeconfig and --context; what says
// what the files should hold, for -f's help.
func (in *Input) AddFlags(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.StringArrayVarP(&in.Files, "filename", "f", nil, "manifest file or directory with "+what+" (repeatable)")
	f.BoolVar(&in.Cluster, "cluster", false, "read the live cluster of the kubeconfig context")
	f.StringVar(&in.Kubeconfig, "kubeconfig", "", "kubeconfig file (default $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&in.Context, "context", "", "kubeconfig context to use")
}

// Load reads the objects. Input errors in files are printed and make it
// fail with the usage exit status; resources the cluster does not let us
// read are warned about.
func (in *Input) Load(ctx context.Context) (*inventory.Inventory, error) {
	switch {
	case in.Cluster && len(in.Files) > 0:
		return nil, UsageErrorf("use either -f or --cluster, not both")
	case in.Cluster:
		cfg := in.RESTConfig
		if cfg == nil {
			var err error
			if cfg, err = RESTConfig(in.Kubeconfig, in.Context); err != nil {
				return nil, err
			}
		}
		res, err := cluster.Load(ctx, cfg, cluster.Options{Name: in.Context, PodTemplates: in.PodTemplates})
		if err != nil {
			return nil, fmt.Errorf("read cluster: %w", err)
		}
		for _, f := range res.Forbidden {
			fmt.Fprintf(in.Streams.ErrOut, "warning: may not read %s (%s): answers may be incomplete\n", f.Resource.GroupResource(), f.Permission)
		}
		loaded := &inventory.Result{Inventory: inventory.New(res.Objects)}
		if ResolveTemplates(in.Streams, loaded, in.PodTemplates); len(loaded.Errors) > 0 {
			return nil, Exit(ExitUsage)
		}
		return loaded.Inventory, nil
	case len(in.Files) == 0:
		return nil, UsageErrorf("no input: give -f FILE|DIR or --cluster")
	}
	res, err := LoadManifests(ctx, in.Streams, in.Files, inventory.LoadOptions{})
	if err != nil {
		return nil, err
	}
	if ResolveTemplates(in.Streams, res, in.PodTemplates); len(res.Errors) > 0 {
		return nil, Exit(ExitUsage)
	}
	return res.Inventory, nil
}
