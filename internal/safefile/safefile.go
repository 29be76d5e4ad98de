// Package safefile writes files so that a crash never leaves a half-written
// file, an existing file is never replaced unless asked, and a private key is
// never readable by others, not even for a moment.
//
// It imports nothing of Signet's.
package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned when the target exists and overwriting was not asked for.
var ErrExists = errors.New("file exists")

// Private is the mode of files that hold a private key or a secret.
const Private fs.FileMode = 0o600

// Public is the mode of files anyone may read, such as certificates.
const Public fs.FileMode = 0o644

// Write writes data to path with mode perm. The data goes to a temporary
// file in the same directory, created with perm from the start, which is
// synced and then moved into place. Without overwrite, an existing path is
// left alone and ErrExists is returned (an *fs.PathError wrapping it).
func Write(path string, data []byte, perm fs.FileMode, overwrite bool) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // a no-op once the file has been moved into place
	// CreateTemp makes the file 0600; narrow it further or widen it to perm
	// before any byte is written.
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if overwrite {
		return os.Rename(name, path)
	}
	// A hard link fails if path exists, which makes "create, never
	// replace" atomic even against a concurrent writer.
	if err := os.Link(name, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &fs.PathError{Op: "write", Path: path, Err: ErrExists}
		}
		// Some file systems (FAT, some network mounts) have no hard links:
		// fall back to an exclusive create.
		return writeExclusive(path, data, perm)
	}
	return nil
}

func writeExclusive(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return &fs.PathError{Op: "write", Path: path, Err: ErrExists}
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// CheckAbsent returns an error naming the first path that exists, so that a
// command writing several files can refuse before it writes any of them.
func CheckAbsent(paths ...string) error {
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := os.Lstat(p); err == nil {
			return &fs.PathError{Op: "write", Path: p, Err: ErrExists}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("check %s: %w", p, err)
		}
	}
	return nil
}
