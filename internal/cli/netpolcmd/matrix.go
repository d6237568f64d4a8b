package netpolcmd

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/netpol"
	"github.com/kguard/kguard/internal/netpol/matrixhtml"
)

func newMatrixCmd(s *cmdutil.Streams) *cobra.Command {
	in := &Input{cmdutil.Input{Streams: s}}
	var namespace, output string
	cmd := &cobra.Command{
		Use:   "matrix",
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
		Example: `  kguard netpol matrix -f deploy/
  kguard netpol matrix -n shop -o json --cluster
  kguard netpol matrix -n shop -o html -f deploy/ > matrix.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch output {
			case "table", "json", "html":
			default:
				return cmdutil.UsageErrorf("unknown output format %q (want table, json or html)", output)
			}
			_, m, err := in.Model(cmd.Context())
			if err != nil {
				return err
			}
			if namespace != "" && len(m.Workloads(namespace)) == 0 {
				return cmdutil.UsageErrorf("namespace %q has no workloads in the input", namespace)
			}
			x := m.Matrix(namespace)
			switch output {
			case "json":
				return writeMatrixJSON(s.Out, x)
			case "html":
				return matrixhtml.WritePage(s.Out, x)
			}
			return writeMatrixTable(s.Out, x)
		},
	}
	in.addFlags(cmd)
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "only the workloads of this namespace (default: all)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table, json or html")
	return cmd
}

// mark is a cell's sign: X reachable, . blocked, - external to external.
func mark(x *netpol.Matrix, r, c int) string {
	switch {
	case x.Rows[r].Pod == nil && x.Cols[c].Pod == nil:
		return "-"
	case x.Reachable(r, c):
		return "X"
	}
	return "."
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
			fmt.Fprint(tw, "\t"+mark(x, r, c))
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
