//go:build !unix

package enrich

import "io/fs"

// inode is unavailable where there are no inode numbers (and no cgroups).
func inode(fs.FileInfo) (uint64, bool) { return 0, false }
