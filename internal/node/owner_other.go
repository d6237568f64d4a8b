//go:build !unix

package node

import "io/fs"

// owner is unknown on platforms without Unix ownership.
func owner(fs.FileInfo) (uint32, bool) { return 0, false }
