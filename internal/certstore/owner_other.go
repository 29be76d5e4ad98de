//go:build !unix

package certstore

import "io/fs"

// ownedByCurrentUser cannot tell on this system; file ownership there is a
// matter of ACLs, which Signet does not read.
func ownedByCurrentUser(fs.FileInfo) (string, bool) { return "", true }
