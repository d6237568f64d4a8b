// Package analysis holds computations over a whole inventory that several
// consumers share (the RBAC model, the reachability model, control-plane
// facts, ...). Engines declare their analysis here; rules declare which
// analyses they require (see rules.Rule.Requires), the way a go/analysis
// analyzer declares Requires, and the scan builds each one at most once,
// only when an enabled rule asks for it. The package is a leaf so that
// engines never import the rule registry.
package analysis

import (
	"sync"

	"github.com/kguard/kguard/internal/inventory"
)

// Key identifies an analysis whatever its result type, so that rules can
// list the analyses they require.
type Key interface {
	// AnalysisName is the analysis' unique, human-readable name.
	AnalysisName() string
}

// Analysis is a computation over the whole inventory whose result of type T
// is shared by everyone who uses it on that inventory.
type Analysis[T any] struct {
	Name  string
	Build func(inv *inventory.Inventory) T
}

// AnalysisName implements Key.
func (a *Analysis[T]) AnalysisName() string { return a.Name }

// Memo memoizes analyses for one inventory. Safe for concurrent use.
type Memo struct {
	inv   *inventory.Inventory
	mu    sync.Mutex
	cells map[Key]*cell
}

type cell struct {
	once sync.Once
	val  any
}

// NewMemo returns an empty memo for inv.
func NewMemo(inv *inventory.Inventory) *Memo {
	return &Memo{inv: inv, cells: make(map[Key]*cell)}
}

// Inventory is the inventory the memo's analyses are built over.
func (m *Memo) Inventory() *inventory.Inventory { return m.inv }

// Get returns a's result for the memo's inventory, building it on first use.
func Get[T any](m *Memo, a *Analysis[T]) T {
	m.mu.Lock()
	c, ok := m.cells[a]
	if !ok {
		c = &cell{}
		m.cells[a] = c
	}
	m.mu.Unlock()
	c.once.Do(func() { c.val = a.Build(m.inv) })
	return c.val.(T)
}

// Objects is the inventory itself, as a requirement: an object or workload
// rule that looks up other objects (the ServiceAccount a pod runs as, the
// Service an Ingress routes to) declares it, and so needs the whole input.
var Objects = &Analysis[*inventory.Inventory]{
	Name:  "objects",
	Build: func(inv *inventory.Inventory) *inventory.Inventory { return inv },
}

// Manifest is the objects' provenance, as a requirement: a rule that judges
// how an object was written or where it was read from (a Secret's values
// committed to a file, a manifest that names no namespace, inputs read
// from a live cluster) declares it and asks the Pass (rules.Pass.Manifest).
// An admitted object shows neither, so such rules do not run at admission.
var Manifest = &Analysis[struct{}]{
	Name:  "manifest",
	Build: func(*inventory.Inventory) struct{} { return struct{}{} },
}

// Provided is an analysis result computed before the scan, outside the
// inventory (image scan results need registries and a database), handed
// to the scan so that rules read it like any other analysis.
type Provided struct {
	key Key
	val any
}

// Value provides v as a's result.
func Value[T any](a *Analysis[T], v T) Provided { return Provided{key: a, val: v} }

// Provide sets results before any rule asks for them; Get then returns
// them instead of building.
func (m *Memo) Provide(ps ...Provided) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		c := &cell{}
		c.once.Do(func() { c.val = p.val })
		m.cells[p.key] = c
	}
}
