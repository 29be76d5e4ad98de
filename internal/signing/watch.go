package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/signetid/signet/internal/certstore"
)

// maxHashed is the largest file Fingerprint hashes; a bigger one (no
// credential is) is summarised by its size and modification time.
const maxHashed = 1 << 20

// Watched returns where the credential spec describes is read from, for a
// server that reloads it when it changes: the file of a File key, the
// directory of a Store key's store. Development keys are not watched, nor
// are keys of types this package does not load.
func (l Loader) Watched(spec Spec) []string {
	switch strings.ToLower(spec.Type) {
	case "file":
		if spec.FilePath != "" {
			return []string{spec.FilePath}
		}
	case "store":
		loc, err := certstore.ParseLocation(orDefault(spec.StoreLocation, "CurrentUser"))
		if err != nil {
			return nil
		}
		name, err := certstore.ParseName(orDefault(spec.StoreName, "My"))
		if err != nil {
			return nil
		}
		st, err := certstore.Open(loc, name, l.Env)
		if err != nil {
			return nil
		}
		return []string{st.Dir}
	}
	return nil
}

// Fingerprint summarises what path holds now, so that polling can tell a
// change: the hash of a file's contents, or of a directory's file names
// and contents; a missing path, or one that cannot be read, has a
// fingerprint of its own. Contents rather than modification times, so that
// a file replaced in the same second by one of the same size is seen, and
// one merely touched is not; links are followed, so that a Kubernetes
// secret volume's swap of its ..data link is seen too.
func Fingerprint(path string) string {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "missing"
	case err != nil:
		return "error: " + err.Error()
	case !fi.IsDir():
		return fileHash(path, fi)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return "error: " + err.Error()
	}
	h := sha256.New()
	for _, e := range entries {
		// The store reads regular files only, and lists the rest as
		// errors: their names and types are enough.
		sum := e.Type().String()
		if e.Type().IsRegular() {
			if info, err := e.Info(); err == nil {
				sum = fileHash(filepath.Join(path, e.Name()), info)
			}
		}
		fmt.Fprintf(h, "%q %s\n", e.Name(), sum)
	}
	return "dir " + hex.EncodeToString(h.Sum(nil))
}

func fileHash(path string, fi fs.FileInfo) string {
	if fi.Size() > maxHashed {
		return fmt.Sprintf("big %d %d", fi.Size(), fi.ModTime().UnixNano())
	}
	f, err := os.Open(path)
	if err != nil {
		return "error: " + err.Error()
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxHashed+1)); err != nil {
		return "error: " + err.Error()
	}
	return "file " + hex.EncodeToString(h.Sum(nil))
}
