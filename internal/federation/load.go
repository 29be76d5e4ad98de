package federation

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/signetid/signet/storage"
)

// Store is what the registry reads of the database.
type Store interface {
	ConfigVersion(ctx context.Context) (int64, error)
	ListExternalProviders(ctx context.Context) ([]storage.ExternalProvider, error)
}

// Source is where the providers come from: the configuration file's, then
// the database's.
type Source struct {
	File  []Settings
	Store Store // nil: the file's only
	// KEK returns the key-encryption key that opens the database's client
	// secrets; called only when one has a secret.
	KEK    func() ([]byte, error)
	Logger *slog.Logger
}

// ConflictError says which providers both the file and the database
// define: the file's are kept.
type ConflictError struct{ Names []string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("external providers defined both in the configuration file and in the database: %s: remove one of each (signet provider remove NAME, or delete it from the file)", strings.Join(e.Names, ", "))
}

// Merge returns the file's providers then the database's (by name), and
// the names both define (the file's win, as for clients).
func Merge(file, db []Settings) ([]Settings, []string) {
	out := slices.Clone(file)
	var conflicts []string
	for _, d := range db {
		if slices.ContainsFunc(file, func(f Settings) bool { return f.Name == d.Name }) {
			conflicts = append(conflicts, d.Name)
			continue
		}
		out = append(out, d)
	}
	return out, conflicts
}

// Loader keeps a Registry current with a Source.
type Loader struct {
	Registry *Registry
	Source   Source

	mu      sync.Mutex
	version int64
	loaded  bool
}

// Load reads the database's providers and sets the registry's. A provider
// that cannot be read (its secret sealed under another key) is left out
// and logged; a conflict with the file is a *ConflictError (after the
// rest is set).
func (l *Loader) Load(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	src := l.Source
	if src.Store == nil {
		l.Registry.Set(src.File)
		l.loaded = true
		return nil
	}
	version, err := src.Store.ConfigVersion(ctx)
	if err != nil {
		return err
	}
	recs, err := src.Store.ListExternalProviders(ctx)
	if err != nil {
		return err
	}
	var db []Settings
	var kek []byte
	for _, rec := range recs {
		if kek == nil && src.KEK != nil && sealedCredential(rec.Settings) {
			if kek, err = src.KEK(); err != nil {
				kek = nil
			}
		}
		s, err := FromRecord(rec, kek)
		if err != nil {
			if src.Logger != nil {
				src.Logger.Error("external provider left out", slog.String("provider", rec.Name), slog.String("error", err.Error()))
			}
			continue
		}
		db = append(db, s)
	}
	merged, conflicts := Merge(src.File, db)
	l.Registry.Set(merged)
	l.version, l.loaded = version, true
	if len(conflicts) > 0 {
		return &ConflictError{Names: conflicts}
	}
	return nil
}

// sealedCredential reports whether a record's settings hold a sealed
// client secret or key, which only the key-encryption key opens.
func sealedCredential(settings []byte) bool {
	return strings.Contains(string(settings), `"clientSecretSealed"`) || strings.Contains(string(settings), `"clientKeySealed"`)
}

// Watch reloads when the database's configuration version moves, polling
// every interval until ctx is done; failures are logged, the last
// providers kept.
func (l *Loader) Watch(ctx context.Context, interval time.Duration) {
	if l.Source.Store == nil || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		loaded, seen := l.loaded, l.version
		l.mu.Unlock()
		if loaded {
			v, err := l.Source.Store.ConfigVersion(ctx)
			if err != nil || v == seen {
				continue
			}
		}
		if err := l.Load(ctx); err != nil && l.Source.Logger != nil {
			l.Source.Logger.Warn("external providers reloaded with a problem", slog.String("error", err.Error()))
		}
	}
}
