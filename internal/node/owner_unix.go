//go:build unix

package node

import (
	"io/fs"
	"syscall"
)

// owner returns the numeric owner of a file, and false when the platform
// does not say.
func owner(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}
