package main

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/safefile"
)

// secretsKEKFile is the key-encryption key Signet makes in dataDir for a
// SQLite store when none is configured.
const secretsKEKFile = "secrets.kek"

// errNoSecretsKEK says that no key-encryption key is available for the
// database's secrets (PostgreSQL without keyEncryptionKey): what needs one
// refuses, saying how to configure it.
var errNoSecretsKEK = errors.New("no key-encryption key is configured for the secrets Signet keeps in its database: set keyEncryptionKey (e.g. ${SIGNET_KEK}) or keyEncryptionKeyFile to 32 random bytes in base64, which signet keys kek makes, the same on every instance")

// memoryKEK is the key of a memory store: one per process, as the store.
var memoryKEK = sync.OnceValues(func() ([]byte, error) {
	k := make([]byte, 32)
	_, err := rand.Read(k)
	return k, err
})

// secretsKEK returns the key-encryption key of the secrets Signet keeps in
// its database (users' TOTP keys, saved provider tokens, providers' client
// secrets): keyEncryptionKey or keyEncryptionKeyFile; else a Managed key's;
// else, with SQLite, dataDir/secrets.kek, made (0600) on first use; with the
// memory store one per process. With PostgreSQL and none configured it
// returns errNoSecretsKEK: instances must share one, so none is made up.
func secretsKEK(cfg *config.Config) ([]byte, error) {
	switch {
	case cfg.KeyEncryptionKey != "":
		return config.ParseKeyEncryptionKey(cfg.KeyEncryptionKey)
	case cfg.KeyEncryptionKeyFile != "":
		return readKEKFile("keyEncryptionKeyFile", cfg.KeyEncryptionKeyFile)
	case cfg.Key != nil && (cfg.Key.KeyEncryptionKey != "" || cfg.Key.KeyEncryptionKeyFile != ""):
		return readKEK(cfg.Key)
	}
	switch cfg.Storage.Driver {
	case config.DriverMemory:
		return memoryKEK()
	case config.DriverPostgres:
		return nil, errNoSecretsKEK
	}
	path := filepath.Join(cfg.DataDir, secretsKEKFile)
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("make the data directory for %s: %w", secretsKEKFile, err)
	}
	err := safefile.Write(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), safefile.Private, false)
	if err == nil {
		return k, nil
	}
	if !errors.Is(err, safefile.ErrExists) {
		return nil, fmt.Errorf("write the key-encryption key %s: %w", path, err)
	}
	return readKEKFile("the key-encryption key in dataDir", path)
}
