package main

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"github.com/signetid/signet/internal/certstore"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/signing"
)

// permissionWarnings checks, as cert doctor does for a credential, the
// files and directories the server trusts: that no other user can read
// what holds a secret, nor write what the server would take as its own.
// On Windows, modes say nothing (ACLs do), so it says nothing there.
func (a *app) permissionWarnings(cfg *config.Config, development bool, devSecretFile string) []string {
	if runtime.GOOS == "windows" {
		return nil
	}
	var out []string
	warn := func(path, format string, args ...any) {
		if cfg.File == "" {
			out = append(out, fmt.Sprintf(format, args...))
			return
		}
		out = append(out, cfg.Warnf(path, format, args...).String())
	}
	stat := func(name string) (fs.FileInfo, bool) {
		fi, err := os.Stat(name)
		return fi, err == nil
	}

	// The configuration files (an appsettings.json and its environment's
	// file): others must not change them (a client, a key of their own),
	// nor read the secrets written in them.
	held := inlineSecrets(cfg)
	for _, file := range cfg.Files() {
		fi, ok := stat(file)
		if !ok {
			continue
		}
		var here, shown []string
		for _, p := range held {
			if cfg.Pos(p).File == file {
				here = append(here, p)
				shown = append(shown, cfg.DisplayPath(p))
			}
		}
		switch mode := fi.Mode().Perm(); {
		case mode&0o022 != 0:
			out = append(out, fmt.Sprintf("%s: this file can be changed by other users (mode %04o): they could add a client or a key of their own; chmod go-w %s", file, mode, file))
		case mode&0o044 != 0 && len(here) > 0:
			warn(here[0], "this file can be read by other users (mode %04o) and holds secrets (%s): chmod 600 %s, or take them from the environment (${VAR})", mode, strings.Join(shown, ", "), file)
		}
	}

	// Files that hold a private key, a PIN or the key-encryption key.
	private := func(path, name, what string) {
		if name == "" {
			return
		}
		if fi, ok := stat(name); ok && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			warn(path, "%s holds %s and other users may read it (mode %04o): chmod 600 %s", name, what, fi.Mode().Perm(), name)
		}
	}
	if k := cfg.Key; k != nil {
		switch k.Type {
		case config.KeyFile:
			private("key.filePath", k.FilePath, "the signing key")
		case config.KeyPkcs11:
			private("key.pinFile", k.PinFile, "the HSM's PIN")
		}
	}
	for i, p := range cfg.ExternalProviders {
		private(fmt.Sprintf("externalProviders[%d].clientKeyFile", i), p.ClientKeyFile, "the provider's client key")
	}
	if cfg.TLS != nil {
		keyFile := cfg.TLS.KeyFile
		if keyFile == "" {
			keyFile = cfg.TLS.CertFile // a .pfx, or a PEM with both
		}
		private("tls", keyFile, "the TLS private key")
	}

	// The data directory holds the database and the development key:
	// others must not read it, nor put files of their own in it.
	if fi, ok := stat(cfg.DataDir); ok && fi.IsDir() {
		if mode := fi.Mode().Perm(); mode&0o077 != 0 {
			warn("dataDir", "the data directory %s is open to other users (mode %04o): it holds the database%s; chmod 700 %s", cfg.DataDir, mode,
				map[bool]string{true: " and the development key and secret", false: ""}[development || isDevelopmentKey(cfg.Key)], cfg.DataDir)
		}
	}

	// The store of a Store key holds the signing key in PFX files without
	// a password (as .NET's X509Store on Linux): others must not read
	// them, nor write where the server looks for its certificate.
	if k := cfg.Key; k != nil && k.Type == config.KeyStore {
		// App Service's directory is the platform's, not ours to chmod.
		if st, err := certstore.Open(certstore.Location(k.StoreLocation), k.StoreName, a.storeEnv()); err == nil && st.Azure == nil {
			for _, dir := range []string{filepath.Dir(st.Dir), st.Dir} {
				if fi, ok := stat(dir); ok && fi.Mode().Perm()&0o022 != 0 {
					warn("key", "the certificate store's directory %s can be changed by other users (mode %04o): they could plant the certificate the server signs with; chmod 700 %s", dir, fi.Mode().Perm(), dir)
				}
			}
			if entries, err := st.List(); err == nil {
				for _, e := range entries {
					if e.HasKey() && e.Mode&0o077 != 0 {
						warn("key", "the certificate store's %s holds a private key without a password, and other users may read it (mode %04o): chmod 600 %s", e.Path, e.Mode, e.Path)
					}
				}
			}
		}
	}

	// The development key and secret: made by signet, 0600, ours. One
	// that another user made, or that others can read, is not a secret
	// of this server's.
	if isDevelopmentKey(cfg.Key) {
		keyFile := cfg.Key.FilePath
		if keyFile == "" {
			keyFile = filepath.Join(cfg.DataDir, signing.DevelopmentKeyFile)
		}
		notOurs(keyFile, "development signing key", warn)
	}
	if devSecretFile != "" {
		notOurs(devSecretFile, "development client secret", warn)
	}
	return out
}

func isDevelopmentKey(k *config.Key) bool {
	return k != nil && strings.EqualFold(k.Type, config.KeyDevelopment)
}

// notOurs warns about a development credential that another user owns or
// others can read: signet makes them 0600 for the user it runs as.
func notOurs(name, what string, warn func(path, format string, args ...any)) {
	fi, err := os.Stat(name)
	if err != nil {
		return
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		warn("key", "the %s %s belongs to another user (uid %d), so signet did not make it: whoever did can sign tokens or get them; delete it to have a new one made", what, name, st.Uid)
		return
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		warn("key", "the %s %s can be read by other users (mode %04o), so anyone on this machine can sign tokens or get them: chmod 600 it, or delete it to have a new one made", what, name, mode)
	}
}

// inlineSecrets returns the paths of the secrets written in the file
// itself rather than taken from the environment.
func inlineSecrets(cfg *config.Config) []string {
	var held []string
	inline := func(path, value string) {
		if value != "" && !cfg.FromEnv(path) {
			held = append(held, path)
		}
	}
	if k := cfg.Key; k != nil {
		inline("key.password", k.Password)
		inline("key.keyEncryptionKey", k.KeyEncryptionKey)
		inline("key.pin", k.Pin)
	}
	for i, k := range cfg.ValidationKeys {
		inline(fmt.Sprintf("validationKeys[%d].password", i), k.Password)
	}
	if cfg.TLS != nil {
		inline("tls.password", cfg.TLS.Password)
	}
	if cfg.Storage.Driver == config.DriverPostgres && dsnHasPassword(cfg.Storage.DSN) {
		inline("storage.dsn", cfg.Storage.DSN)
	}
	for i, p := range cfg.ExternalProviders {
		inline(fmt.Sprintf("externalProviders[%d].clientKeyPassword", i), p.ClientKeyPassword)
	}
	for i, c := range cfg.Clients {
		for j, s := range c.Secrets {
			inline(fmt.Sprintf("clients[%d].secrets[%d].value", i, j), s.Value)
		}
	}
	return held
}

// dsnHasPassword reports whether a PostgreSQL connection string holds a
// password: postgres://user:password@host/db, or password=... pairs.
func dsnHasPassword(dsn string) bool {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" {
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				return true
			}
		}
		if u.Query().Has("password") {
			return true
		}
	}
	for _, f := range strings.Fields(dsn) {
		if k, _, ok := strings.Cut(f, "="); ok && strings.EqualFold(strings.TrimSpace(k), "password") {
			return true
		}
	}
	return false
}
