package matrixhtml

import (
	"bytes"
	"html/template"
	"io"
	"strings"

	"github.com/kguard/kguard/internal/netpol"
)

type cell struct {
	Class, Mark, Title string
}

type row struct {
	Name  string
	Cells []cell
}

type col struct {
	Name, Title string
}

// figure is what the templates render.
type figure struct {
	Title, Scope, External string
	Workloads, Reachable   int
	Pairs                  int
	Cols                   []col
	Rows                   []row
}

// CSS styles the figure; pages that embed it include it once.
const CSS = `p.summary { margin: 0 0 1rem; color: #59636e; }
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
`

const templateText = `{{define "figure"}}<p class="summary">{{.Scope}}: {{.Workloads}} workloads; {{.Reachable}} of {{.Pairs}} source–destination pairs reachable.
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
{{end}}{{define "page"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem; color: #1f2328; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
{{css}}</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{template "figure" .}}</body>
</html>
{{end}}`

var templates = template.Must(template.New("figure").Funcs(template.FuncMap{
	"css": func() template.CSS { return template.CSS(CSS) },
}).Parse(templateText))

func portStrings(ps []netpol.PortProto) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func build(x *netpol.Matrix) figure {
	f := figure{Title: "kguard network policy matrix", Scope: "All namespaces", External: netpol.ExternalAddr.String(), Workloads: len(x.Rows) - 1}
	if x.Namespace != "" {
		f.Scope = "Namespace " + x.Namespace
	}
	for _, c := range x.Cols {
		f.Cols = append(f.Cols, col{Name: c.Name, Title: c.Name + " on " + strings.Join(portStrings(c.Ports), ", ")})
	}
	for r, rw := range x.Rows {
		hr := row{Name: rw.Name, Cells: make([]cell, len(x.Cols))}
		for c, cl := range x.Cols {
			ce := &hr.Cells[c]
			switch x.Mark(r, c) {
			case "-":
				*ce = cell{Class: "na", Mark: "", Title: "external → external: not applicable"}
			case "X":
				f.Reachable++
				*ce = cell{Class: "y", Mark: "X", Title: rw.Name + " → " + cl.Name + ": allowed on " + strings.Join(portStrings(x.AllowedPorts(r, c)), ", ")}
			default:
				*ce = cell{Class: "n", Mark: ".", Title: rw.Name + " → " + cl.Name + ": blocked on " + strings.Join(portStrings(cl.Ports), ", ")}
			}
			if ce.Class != "na" {
				f.Pairs++
			}
		}
		f.Rows = append(f.Rows, hr)
	}
	return f
}

// WritePage writes the matrix as a page of its own.
func WritePage(w io.Writer, x *netpol.Matrix) error {
	return templates.ExecuteTemplate(w, "page", build(x))
}

// Figure renders the matrix as an HTML fragment (summary, legend, table)
// for a page that includes CSS.
func Figure(x *netpol.Matrix) (template.HTML, error) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, "figure", build(x)); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}
