package html

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/kguard/kguard/internal/rbac"
)

// Layered drawing of privilege-escalation paths: every identity of a path
// is a box in the column of its distance to cluster-admin (cluster-admin
// rightmost), edges go left to right, and boxes in a column are ordered by
// where their targets sit (one barycentre pass), which keeps most edges
// from crossing. Computed here, drawn as inline SVG: no Graphviz.

const (
	boxW, boxH     = 210, 30
	colGap, rowGap = 70, 14
	margin         = 10
	maxPaths       = 60
	maxLabel       = 30
)

type svgNode struct {
	Name, Label, Class string
	X, Y               int
	dist, order        int
}

type svgEdge struct {
	Path, Title string
}

type escalationFigure struct {
	Width, Height int
	Nodes         []*svgNode
	Edges         []svgEdge
	Paths, Shown  int
}

// layoutPaths lays out up to maxPaths paths (the shortest first).
func layoutPaths(paths []rbac.Path) *escalationFigure {
	if len(paths) == 0 {
		return nil
	}
	sorted := slices.Clone(paths)
	slices.SortStableFunc(sorted, func(a, b rbac.Path) int { return cmp.Compare(len(a.Steps), len(b.Steps)) })
	fig := &escalationFigure{Paths: len(paths), Shown: min(len(paths), maxPaths)}
	sorted = sorted[:fig.Shown]

	nodes := map[string]*svgNode{}
	var order []*svgNode
	node := func(name string, dist int) *svgNode {
		n := nodes[name]
		if n == nil {
			n = &svgNode{Name: name, Label: truncate(name), dist: dist, Class: nodeClass(name)}
			nodes[name] = n
			order = append(order, n)
		}
		n.dist = min(n.dist, dist)
		return n
	}
	type edgeKey struct{ from, to string }
	actions := map[edgeKey][]string{}
	var edgeOrder []edgeKey
	for _, p := range sorted {
		from := node(p.Start.String(), len(p.Steps))
		for i, st := range p.Steps {
			to := node(st.To, len(p.Steps)-i-1)
			k := edgeKey{from.Name, to.Name}
			if _, ok := actions[k]; !ok {
				edgeOrder = append(edgeOrder, k)
			}
			a := st.Action
			if st.Via != "" {
				a += " (" + st.Via + ")"
			}
			if !slices.Contains(actions[k], a) {
				actions[k] = append(actions[k], a)
			}
			from = to
		}
	}

	maxDist := 0
	cols := map[int][]*svgNode{}
	for _, n := range order {
		cols[n.dist] = append(cols[n.dist], n)
		maxDist = max(maxDist, n.dist)
	}
	// Barycentre: order each column by the mean position of its targets
	// in the column to its right (already placed), keeping first-seen
	// order among equals.
	targets := map[string][]string{}
	for _, k := range edgeOrder {
		targets[k.from] = append(targets[k.from], k.to)
	}
	for d := 0; d <= maxDist; d++ {
		col := cols[d]
		if d > 0 {
			weight := func(n *svgNode) float64 {
				sum, cnt := 0.0, 0
				for _, t := range targets[n.Name] {
					if tn := nodes[t]; tn.dist == d-1 {
						sum += float64(tn.order)
						cnt++
					}
				}
				if cnt == 0 {
					return 1e9
				}
				return sum / float64(cnt)
			}
			slices.SortStableFunc(col, func(a, b *svgNode) int { return cmp.Compare(weight(a), weight(b)) })
		}
		for i, n := range col {
			n.order = i
		}
	}
	tallest := 0
	for _, col := range cols {
		tallest = max(tallest, len(col))
	}
	fig.Width = margin*2 + (maxDist+1)*boxW + maxDist*colGap
	fig.Height = margin*2 + tallest*boxH + (tallest-1)*rowGap
	for d, col := range cols {
		// Centre shorter columns vertically.
		top := margin + (tallest-len(col))*(boxH+rowGap)/2
		for i, n := range col {
			n.X = margin + (maxDist-d)*(boxW+colGap)
			n.Y = top + i*(boxH+rowGap)
		}
	}
	fig.Nodes = order
	for _, k := range edgeOrder {
		a, b := nodes[k.from], nodes[k.to]
		x1, y1 := a.X+boxW, a.Y+boxH/2
		x2, y2 := b.X-4, b.Y+boxH/2
		mid := (x1 + x2) / 2
		fig.Edges = append(fig.Edges, svgEdge{
			Path:  "M" + itoa(x1) + " " + itoa(y1) + " C" + itoa(mid) + " " + itoa(y1) + " " + itoa(mid) + " " + itoa(y2) + " " + itoa(x2) + " " + itoa(y2),
			Title: k.from + " → " + k.to + ": " + strings.Join(actions[k], "; "),
		})
	}
	return fig
}

func nodeClass(name string) string {
	switch {
	case name == rbac.Goal:
		return "goal"
	case strings.HasPrefix(name, "ServiceAccount "):
		return "sa"
	}
	return "user"
}

func truncate(s string) string {
	r := []rune(s)
	if len(r) <= maxLabel {
		return s
	}
	return string(r[:maxLabel-1]) + "…"
}

func itoa(n int) string { return strconv.Itoa(n) }
