//go:build pkcs11 && cgo

package pkcs11

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/miekg/pkcs11"
)

// moduleHint ends every error about loading a module.
const moduleHint = "the module must be the path of the token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so"

// A module is a loaded, initialised PKCS#11 library. A library may be
// initialised only once per process, so Keys that use the same one share it,
// and the last to close finalises it.
type module struct {
	path string // as configured, for messages
	key  string // the resolved path: the registry's key
	ctx  *pkcs11.Ctx
	refs int
	// foreign is set when something else in the process had already
	// initialised the library: then it is not ours to finalise.
	foreign bool

	// logins holds, per slot, a salted hash of the PIN this process
	// logged in with: a PKCS#11 login is shared by every session of the
	// process, so a second key on the same token with a wrong PIN would
	// otherwise be accepted ("already logged in").
	loginsMu sync.Mutex
	logins   map[uint][32]byte
	salt     [16]byte
}

var (
	modulesMu sync.Mutex
	modules   = map[string]*module{}
)

// loadModule loads and initialises the library at path, or takes another
// reference to it. Each successful call needs one release.
func loadModule(path string) (*module, error) {
	if path == "" {
		return nil, errors.New("no PKCS#11 module given: " + moduleHint)
	}
	key, err := filepath.EvalSymlinks(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("load PKCS#11 module %s: no such file (%s)", path, moduleHint)
		}
		return nil, fmt.Errorf("load PKCS#11 module %s: %w (%s)", path, err, moduleHint)
	}
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if m := modules[key]; m != nil {
		m.refs++
		return m, nil
	}
	if fi, err := os.Stat(key); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("load PKCS#11 module %s: it is a directory (%s)", path, moduleHint)
	}
	ctx := pkcs11.New(key)
	if ctx == nil {
		return nil, fmt.Errorf("load PKCS#11 module %s: %s (%s)", path, whyNotLoaded(key), moduleHint)
	}
	m := &module{path: path, key: key, ctx: ctx, refs: 1}
	if err := ctx.Initialize(); err != nil {
		if !errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
			ctx.Destroy()
			return nil, fmt.Errorf("initialise PKCS#11 module %s: %w", path, err)
		}
		m.foreign = true
	}
	modules[key] = m
	return m, nil
}

// release drops a reference, and finalises and unloads the library with the
// last one.
func (m *module) release() {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	m.refs--
	if m.refs > 0 {
		return
	}
	delete(modules, m.key)
	if !m.foreign {
		_ = m.ctx.Finalize()
	}
	m.ctx.Destroy()
}
