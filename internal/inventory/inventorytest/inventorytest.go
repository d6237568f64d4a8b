// Package inventorytest loads manifest files for tests.
package inventorytest

import (
	"os"
	"testing"

	"github.com/kguard/kguard/internal/inventory"
)

// Objects decodes one manifest file, failing the test on any read or
// decode error.
func Objects(t testing.TB, file string) []*inventory.Object {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := inventory.DecodeFile(file, data)
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
