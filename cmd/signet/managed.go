package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/signing/managed"
	"github.com/signetid/signet/storage"
)

// readKEK returns the key-encryption key of a Managed key section: its
// keyEncryptionKey, or the content of keyEncryptionKeyFile.
func readKEK(k *config.Key) ([]byte, error) {
	if k.KeyEncryptionKey != "" {
		return config.ParseKeyEncryptionKey(k.KeyEncryptionKey)
	}
	return readKEKFile("key.keyEncryptionKeyFile", k.KeyEncryptionKeyFile)
}

// readKEKFile reads a key-encryption key from path, a regular file; what
// names the setting in errors.
func readKEKFile(what, path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %s is not a regular file", what, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	kek, err := config.ParseKeyEncryptionKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return kek, nil
}

// newManager makes the manager of a Managed key section over db, which
// tells obs of the keys it makes, retires and revokes.
func (a *app) newManager(cfg *config.Config, db storage.Store, logger *slog.Logger, obs observe.Observer) (*managed.Manager, error) {
	kek, err := readKEK(cfg.Key)
	if err != nil {
		return nil, err
	}
	k := cfg.Key
	source := "Managed (" + cfg.Storage.Driver + ")"
	if d := redactDSN(cfg.Storage.Driver, cfg.Storage.DSN); d != "" {
		source = "Managed (" + cfg.Storage.Driver + " " + d + ")"
	}
	return managed.New(db, managed.Options{
		KEK:         kek,
		Algorithms:  k.SigningAlgorithms,
		Propagation: k.PropagationTime,
		Rotation:    k.RotationInterval,
		Retention:   k.RetentionDuration,
		Now:         a.now,
		Logger:      logger,
		Source:      source,
		Observer:    obs,
	})
}

// managedRing brings the managed keys up to date and makes the ring of
// serve: it creates the first keys of an empty store (once across
// instances), and fails on keys the key-encryption key cannot open,
// rather than making new ones that would invalidate live tokens. A
// database that does not answer yet is retried with backoff until ctx is
// done: a server with managed keys cannot sign without it.
func (a *app) managedRing(ctx context.Context, m *managed.Manager, validation []*signing.Key, retention time.Duration, logger *slog.Logger) (*signing.Ring, error) {
	backoff := time.Second
	for {
		keys, err := m.Sync(ctx)
		if err == nil {
			return signing.NewRing(keys, validation, signing.RingOptions{Retention: retention, Algorithms: m.Algorithms(), Now: a.now, Logger: logger})
		}
		if !errors.Is(err, storage.ErrUnavailable) || ctx.Err() != nil {
			return nil, fmt.Errorf("managed signing keys: %w", err)
		}
		logger.Warn("the managed signing keys are in the database, which does not answer; retrying", slog.String("error", err.Error()), slog.Duration("retry_in", backoff))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("managed signing keys: %w", err)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}
