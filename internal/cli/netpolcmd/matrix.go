package netpolcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kguard/kguard/internal/cli/cmdutil"
	"github.com/kguard/kguard/internal/netpol"
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
		write = writeMatrixHTML
	}
	if err := write(o.Streams.Out, x); err != nil {
		return err
	}
	return o.Partial(res)
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

type htmlCell struct {
	Class, Mark, Title string
}

type htmlRow struct {
	Name  string
	Cells []htmlCell
}

type htmlCol struct {
	Name, Title string
}

type htmlPage struct {
	Title, Scope, External string
	Workloads, Reachable   int
	Pairs                  int
	Cols                   []htmlCol
	Rows                   []htmlRow
}

// The page uses no script and loads nothing: colours and layout are
// inline CSS, details are in title attributes (tooltips).
var matrixPage = template.Must(template.New("matrix").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
p.summary { margin: 0 0 1rem; color: #59636e; }
ul.legend { list-style: none; padding: 0; margin: 0 0 1rem; display: flex; gap: 1.5rem; flex-wrap: wrap; }
ul.legend li { display: flex; align-items: center; gap: .4rem; }
.swatch { display: inline-block; width: 1rem; height: 1rem; border: 1px solid #d1d9e0; }
.wrap { overflow: auto; max-width: 100%; }
table.matrix { border-collapse: collapse; }
table.matrix th, table.matrix td { border: 1px solid #d1d9e0; }
table.matrix th { font-weight: 500; background: #f6f8fa; white-space: nowrap; }
table.matrix thead th.col { vertical-align: bottom; padding: .4rem .2rem; }
table.matrix thead th.col span { writing-mode: vertical-rl; transform: rotate(180deg); }
table.matrix th.row { text-align: right; padding: .1rem .5rem; position: sticky; left: 0; }
table.matrix th.corner { font-size: .8rem; color: #59636e; padding: .2rem .5rem; }
table.matrix td { width: 1.4rem; min-width: 1.4rem; height: 1.4rem; text-align: center; font-size: .75rem; }
td.y, .swatch.y { background: #2da44e; color: #fff; }
td.n, .swatch.n { background: #f6f8fa; color: #afb8c1; }
td.na, .swatch.na { background: repeating-linear-gradient(45deg, #eaeef2, #eaeef2 3px, #fff 3px, #fff 6px); color: #afb8c1; }
th.ext { font-style: italic; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="summary">{{.Scope}}: {{.Workloads}} workloads; {{.Reachable}} of {{.Pairs}} source–destination pairs reachable.
Rows are sources, columns destinations; “external” is {{.External}}, an address outside the cluster.</p>
<ul class="legend">
<li><span class="swatch y"></span> reachable on at least one declared port (hover for the ports)</li>
<li><span class="swatch n"></span> blocked</li>
<li><span class="swatch na"></span> not applicable</li>
</ul>
<div class="wrap">
<table class="matrix">
<thead>
<tr><th class="corner" scope="col">from \ to</th>{{range .Cols}}<th class="col{{if eq .Name "external"}} ext{{end}}" scope="col" title="{{.Title}}"><span>{{.Name}}</span></th>{{end}}</tr>
</thead>
<tbody>
{{range .Rows}}<tr><th class="row{{if eq .Name "external"}} ext{{end}}" scope="row">{{.Name}}</th>{{range .Cells}}<td class="{{.Class}}" title="{{.Title}}">{{.Mark}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</div>
</body>
</html>
`))

func writeMatrixHTML(w io.Writer, x *netpol.Matrix) error {
	page := htmlPage{Title: "kguard network policy matrix", Scope: "All namespaces", External: netpol.ExternalAddr.String(), Workloads: len(x.Rows) - 1}
	if x.Namespace != "" {
		page.Scope = "Namespace " + x.Namespace
	}
	for _, c := range x.Cols {
		page.Cols = append(page.Cols, htmlCol{Name: c.Name, Title: c.Name + " on " + strings.Join(portStrings(c.Ports), ", ")})
	}
	for r, row := range x.Rows {
		hr := htmlRow{Name: row.Name, Cells: make([]htmlCell, len(x.Cols))}
		for c, col := range x.Cols {
			cell := &hr.Cells[c]
			switch mark(x, r, c) {
			case "-":
				*cell = htmlCell{Class: "na", Mark: "", Title: "external → external: not applicable"}
			case "X":
				page.Reachable++
				*cell = htmlCell{Class: "y", Mark: "X", Title: row.Name + " → " + col.Name + ": allowed on " + strings.Join(portStrings(x.AllowedPorts(r, c)), ", ")}
			default:
				*cell = htmlCell{Class: "n", Mark: ".", Title: row.Name + " → " + col.Name + ": blocked on " + strings.Join(portStrings(col.Ports), ", ")}
			}
			if cell.Class != "na" {
				page.Pairs++
			}
		}
		page.Rows = append(page.Rows, hr)
	}
	return matrixPage.Execute(w, page)
}
