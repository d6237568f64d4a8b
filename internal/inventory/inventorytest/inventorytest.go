// Package inventorytest loads manifest files for tests.
package inventorytest

import (
	"os"
	"testing"

	"github.com/kguard/kguard/internal/extract"
	"github.com/kguard/kguard/internal/inventory"
)

// Objects decodes one manifest file and resolves the pod templates of
// custom resources (the default table), failing the test on any read or
// decode error.
func Objects(t testing.TB, file string) []*inventory.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.DecodeFile(file, data)
	// Custom resources with pod templates are workloads, as in a scan.
	errs = append(errs, (*extract.Templates)(nil).Resolve(objs)...)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", file, errs)
	}
	return objs
}

// Load is Objects as an inventory.
func Load(t testing.TB, file string) *inventory.Inventory {
	t.Helper()
	return inventory.New(Objects(t, file))
}
