package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/signetid/signet/internal/config"
)

// secretsKEK: a configured key wins; a Managed key's serves otherwise; SQLite
// makes one in dataDir once (0600) and reads it back after; memory keeps one
// per process; PostgreSQL without one refuses, saying what to set.
func TestSecretsKEK(t *testing.T) {
	t.Parallel()
	configured := bytes.Repeat([]byte{1}, 32)
	managedKEK := bytes.Repeat([]byte{2}, 32)
	b64 := func(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

	got, err := secretsKEK(&config.Config{KeyEncryptionKey: b64(configured), Key: &config.Key{KeyEncryptionKey: b64(managedKEK)}})
	if err != nil || !bytes.Equal(got, configured) {
		t.Fatalf("configured: %x, %v", got, err)
	}
	got, err = secretsKEK(&config.Config{Key: &config.Key{KeyEncryptionKey: b64(managedKEK)}, Storage: config.Storage{Driver: config.DriverPostgres}})
	if err != nil || !bytes.Equal(got, managedKEK) {
		t.Fatalf("managed: %x, %v", got, err)
	}
	if _, err := secretsKEK(&config.Config{Storage: config.Storage{Driver: config.DriverPostgres}}); !errors.Is(err, errNoSecretsKEK) {
		t.Fatalf("postgres without a key: %v, want errNoSecretsKEK", err)
	}
	m1, err1 := secretsKEK(&config.Config{Storage: config.Storage{Driver: config.DriverMemory}})
	m2, err2 := secretsKEK(&config.Config{Storage: config.Storage{Driver: config.DriverMemory}})
	if err1 != nil || err2 != nil || len(m1) != 32 || !bytes.Equal(m1, m2) {
		t.Fatalf("memory: %x %v, %x %v", m1, err1, m2, err2)
	}

	dir := filepath.Join(t.TempDir(), "data")
	cfg := &config.Config{DataDir: dir, Storage: config.Storage{Driver: config.DriverSQLite}}
	first, err := secretsKEK(cfg)
	if err != nil || len(first) != 32 {
		t.Fatalf("sqlite first: %x, %v", first, err)
	}
	info, err := os.Stat(filepath.Join(dir, secretsKEKFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", secretsKEKFile, info.Mode().Perm())
	}
	again, err := secretsKEK(cfg)
	if err != nil || !bytes.Equal(again, first) {
		t.Fatalf("sqlite again: %x, %v; want the key made first", again, err)
	}
	// The file as configured is the same key.
	fromFile, err := secretsKEK(&config.Config{KeyEncryptionKeyFile: filepath.Join(dir, secretsKEKFile)})
	if err != nil || !bytes.Equal(fromFile, first) {
		t.Fatalf("keyEncryptionKeyFile: %x, %v", fromFile, err)
	}
}
