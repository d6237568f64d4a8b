package html

import (
	"testing"

	"github.com/kguard/kguard/internal/rbac"
)

func sa(ns, name string) rbac.User {
	return rbac.User{Name: "system:serviceaccount:" + ns + ":" + name}
}

// TestLayoutPaths: boxes sit in the column of their distance to
// cluster-admin (rightmost), never overlap, and every step is one edge
// (two paths through the same step share it). Worked out by hand:
// a -> b -> admin, c -> b -> admin, d -> admin.
func TestLayoutPaths(t *testing.T) {
	b := "ServiceAccount x/b"
	paths := []rbac.Path{
		{Start: sa("x", "a"), Steps: []rbac.Step{{To: b, Action: "create pods in x"}, {To: rbac.Goal, Action: "bound to cluster-admin"}}},
		{Start: sa("x", "c"), Steps: []rbac.Step{{To: b, Action: "read secrets in x"}, {To: rbac.Goal, Action: "bound to cluster-admin"}}},
		{Start: rbac.User{Name: "alice"}, Steps: []rbac.Step{{To: rbac.Goal, Action: "impersonate users"}}},
		{Start: sa("x", "b"), Steps: []rbac.Step{{To: rbac.Goal, Action: "bound to cluster-admin"}}},
	}
	fig := layoutPaths(paths)
	if fig.Paths != 4 || fig.Shown != 4 {
		t.Fatalf("paths %d, shown %d", fig.Paths, fig.Shown)
	}
	x := map[string]int{}
	class := map[string]string{}
	for _, n := range fig.Nodes {
		x[n.Name], class[n.Name] = n.X, n.Class
	}
	col := func(d int) int { return margin + (2-d)*(boxW+colGap) } // longest path: 2 steps
	for name, d := range map[string]int{"ServiceAccount x/a": 2, "ServiceAccount x/c": 2, b: 1, "User alice": 1, rbac.Goal: 0} {
		if x[name] != col(d) {
			t.Errorf("%s at x=%d, want the column of distance %d (x=%d)", name, x[name], d, col(d))
		}
	}
	if len(fig.Nodes) != 5 {
		t.Errorf("%d boxes, want 5", len(fig.Nodes))
	}
	if len(fig.Edges) != 4 { // a->b, b->admin, c->b, alice->admin
		t.Errorf("%d edges, want 4: %+v", len(fig.Edges), fig.Edges)
	}
	if class[rbac.Goal] != "goal" || class[b] != "sa" || class["User alice"] != "user" {
		t.Errorf("classes %v", class)
	}
	for i, m := range fig.Nodes {
		if m.X < 0 || m.Y < 0 || m.X+boxW > fig.Width || m.Y+boxH > fig.Height {
			t.Errorf("%s lies outside the picture", m.Name)
		}
		for _, n := range fig.Nodes[i+1:] {
			if m.X == n.X && m.Y < n.Y+boxH && n.Y < m.Y+boxH {
				t.Errorf("%s and %s overlap", m.Name, n.Name)
			}
		}
	}
	if layoutPaths(nil) != nil {
		t.Error("no paths should give no picture")
	}
	var many []rbac.Path
	for i := 0; i < maxPaths+5; i++ {
		many = append(many, rbac.Path{Start: sa("y", string(rune('a'+i%26))+string(rune('a'+i/26))), Steps: []rbac.Step{{To: rbac.Goal, Action: "x"}}})
	}
	if f := layoutPaths(many); f.Shown != maxPaths || f.Paths != maxPaths+5 {
		t.Errorf("cap: shown %d of %d", f.Shown, f.Paths)
	}
}
