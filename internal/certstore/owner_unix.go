//go:build unix

package certstore

import (
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

// ownedByCurrentUser reports whether fi belongs to the effective user, and
// names its owner otherwise.
func ownedByCurrentUser(fi fs.FileInfo) (string, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", true
	}
	if int(st.Uid) == os.Geteuid() {
		return "", true
	}
	return "uid " + strconv.Itoa(int(st.Uid)), false
}
