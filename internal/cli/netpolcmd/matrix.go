package netpolcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/netpol/matrixhtml"
)

// MatrixOptions are the flags of `kguard netpol matrix`.
type MatrixOptions struct {
	Input
	Output string
}

func newMatrixCmd(s *cmdutil.Streams, run func(context.Context, *MatrixOptions) error) *cobra.Command {
	o := &MatrixOptions{Input: Input{cmdutil.Input{Streams: s}}}
	cmd := &cobra.Command{
		Use:   "matrix [PATH...]",
		Short: "Show which workloads may reach which: a table, JSON or an HTML heat-map",
		Long: `Print the reachability matrix: rows are sources, columns destinations,
each workload of the namespace (-n) or of the whole input, plus "external",
an address outside the cluster (` + netpol.ExternalAddr.String() + `, a documentation address): as a
row, traffic coming in from it; as a column, egress to it on TCP 80.

A cell is reachable (X) when the connection is allowed on at least one of
the ports the destination's containers declare (TCP 80 when there is
none), blocked (.) otherwise. JSON and the HTML heat-map also give the
ports allowed in each cell. The HTML page is self-contained: no script,
no external resource.`,
		Example: `  kguard netpol matrix deploy/
  kguard netpol matrix -n shop -o json --cluster
  kguard netpol matrix -n shop -o html -f deploy/ > matrix.html`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = args
			return run(cmd.Context(), o)
		},
	}
	o.addFlags(cmd, "only the workloads of this namespace (default: all)")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table, json or html")
	return cmd
}

// RunMatrix prints the reachability matrix.
func RunMatrix(ctx context.Context, o *MatrixOptions) error {
	switch o.Output {
	case "table", "json", "html":
	default:
		return cmdutil.UsageErrorf("unknown output format %q (want table, json or html)", o.Output)
	}
	res, m, err := o.Model(ctx)
	if err != nil {
		return err
	}
	if o.Namespace != "" && len(m.Workloads(o.Namespace)) == 0 {
		return cmdutil.UsageErrorf("namespace %q has no workloads in the input", o.Namespace)
	}
	x := m.Matrix(o.Namespace)
	write := writeMatrixTable
	switch o.Output {
	case "json":
		write = writeMatrixJSON
	case "html":
		write = matrixhtml.WritePage
	}
	if err := write(o.Streams.Out, x); err != nil {
		return err
	}
	return o.Partial(res)
}

func writeMatrixTable(w io.Writer, x *netpol.Matrix) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "FROM \\ TO")
	for _, c := range x.Cols {
		fmt.Fprint(tw, "\t"+c.Name)
	}
	fmt.Fprintln(tw)
	for r, row := range x.Rows {
		fmt.Fprint(tw, row.Name)
		for c := range x.Cols {
			fmt.Fprint(tw, "\t"+x.Mark(r, c))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

type matrixDestJSON struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind,omitempty"`
	Namespace string   `json:"namespace,omitempty"`
	Ports     []string `json:"ports"`
}

type matrixCellJSON struct {
	From  string   `json:"from"`
	To    string   `json:"to"`
	Ports []string `json:"ports"`
}

type matrixJSON struct {
	Namespace       string           `json:"namespace,omitempty"`
	ExternalAddress string           `json:"externalAddress"`
	Sources         []string         `json:"sources"`
	Destinations    []matrixDestJSON `json:"destinations"`
	// Reachable[r][c]: source r may reach destination c on some port.
	Reachable [][]bool `json:"reachable"`
	// Allowed lists the reachable cells with their ports.
	Allowed []matrixCellJSON `json:"allowed"`
}

func portStrings(ps []netpol.PortProto) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func writeMatrixJSON(w io.Writer, x *netpol.Matrix) error {
	doc := matrixJSON{Namespace: x.Namespace, ExternalAddress: netpol.ExternalAddr.String(), Allowed: []matrixCellJSON{}}
	for _, r := range x.Rows {
		doc.Sources = append(doc.Sources, r.Name)
	}
	for _, c := range x.Cols {
		d := matrixDestJSON{Name: c.Name, Ports: portStrings(c.Ports)}
		if c.Pod != nil {
			d.Kind, d.Namespace = c.Pod.Object.Kind, c.Pod.Namespace
		}
		doc.Destinations = append(doc.Destinations, d)
	}
	for r, row := range x.Rows {
		line := make([]bool, len(x.Cols))
		for c, col := range x.Cols {
			if line[c] = x.Reachable(r, c); line[c] {
				doc.Allowed = append(doc.Allowed, matrixCellJSON{From: row.Name, To: col.Name, Ports: portStrings(x.AllowedPorts(r, c))})
			}
		}
		doc.Reachable = append(doc.Reachable, line)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
