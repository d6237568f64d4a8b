package scan

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
)

// Memory budget for file scans. Decoded objects take about 3.3 bytes of
// heap per byte of YAML, and Go's collector by default lets the heap grow
// to twice what is live, so a 65 MB corpus peaked above 550 MB. A soft
// limit makes the collector work harder instead, as the heap nears it.
const (
	// minMemoryLimit leaves room, under a 400 MB process, for the ~80 MB
	// of the binary's own pages.
	minMemoryLimit = 300 << 20
	// heapPerInputByte is the limit's slope: live heap (~3.3x the input)
	// plus room to keep collections infrequent.
	heapPerInputByte = 4.5
)

// setMemoryLimit sets the collector's soft memory limit from the size of
// the inputs, unless the user chose one with GOMEMLIMIT. It never limits
// below minMemoryLimit, so small scans are unaffected, and grows with the
// input, so large scans are slowed by the collector, never starved.
func setMemoryLimit(paths []string) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	var total int64
	for _, p := range paths {
		_ = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
			return nil
		})
	}
	debug.SetMemoryLimit(max(minMemoryLimit, int64(float64(total)*heapPerInputByte)))
}
