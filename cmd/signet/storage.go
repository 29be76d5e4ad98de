package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/sqlite"
)

// storeOptions are what opening a store takes beyond the configuration.
type storeOptions struct {
	noMigrate bool
	// forMigration opens without applying or checking migrations, for
	// signet migrate and signet migrate status.
	forMigration bool
	logger       *slog.Logger
	// fatal hears of an error that retrying cannot fix, found by serve's
	// background retries (a schema too new, migrations refused).
	fatal func(error)
	// queryTracer traces PostgreSQL's statements (tracing on); nil for
	// none.
	queryTracer pgx.QueryTracer
	// monitor hears of the store's outages (serve's outage.Tracker); nil
	// for none.
	monitor storage.Monitor
}

// opener opens one kind of store. Only cmd/signet knows every backend.
type opener func(ctx context.Context, cfg config.Storage, opts storeOptions) (storage.Store, error)

var openers = map[string]opener{
	config.DriverSQLite: func(ctx context.Context, cfg config.Storage, opts storeOptions) (storage.Store, error) {
		if err := os.MkdirAll(filepath.Dir(cfg.DSN), 0o700); err != nil {
			return nil, fmt.Errorf("create the directory of %s: %w", cfg.DSN, err)
		}
		return sqlite.Open(ctx, cfg.DSN, sqlite.Options{NoMigrate: opts.noMigrate, ForMigration: opts.forMigration, Logger: opts.logger,
			Monitor: opts.monitor})
	},
	config.DriverPostgres: func(ctx context.Context, cfg config.Storage, opts storeOptions) (storage.Store, error) {
		return postgres.Open(ctx, cfg.DSN, postgres.Options{
			MaxConns: int32(cfg.MaxConns), MinConns: int32(cfg.MinConns),
			ConnectTimeout: cfg.ConnectTimeout, StatementTimeout: cfg.StatementTimeout,
			NoMigrate: opts.noMigrate, ForMigration: opts.forMigration, Logger: opts.logger,
			QueryTracer: opts.queryTracer, Monitor: opts.monitor,
		})
	},
	config.DriverMemory: func(context.Context, config.Storage, storeOptions) (storage.Store, error) {
		return memory.New(memory.Options{}), nil
	},
}

// openStore opens the configured store.
func openStore(ctx context.Context, cfg config.Storage, opts storeOptions) (storage.Store, error) {
	open, ok := openers[cfg.Driver]
	if !ok {
		return nil, fmt.Errorf("unknown storage driver %q", cfg.Driver)
	}
	s, err := open(ctx, cfg, opts)
	if err != nil {
		desc := redactDSN(cfg.Driver, cfg.DSN)
		if strings.Contains(err.Error(), desc) { // the store named it already
			return nil, fmt.Errorf("open the %s database: %w", cfg.Driver, err)
		}
		return nil, fmt.Errorf("open the %s database %s: %w", cfg.Driver, desc, err)
	}
	return s, nil
}

// openStoreRetrying opens the store for serve. A database that is not
// reachable yet (storage.ErrUnavailable) does not stop the server: it gets
// a storage.Deferred that answers "unavailable" while a goroutine retries
// with backoff, so that what needs no database keeps working and /readyz
// says why it is not ready. Any other failure (a schema that is too new,
// migrations refused, a bad file) stops it.
func openStoreRetrying(ctx context.Context, cfg config.Storage, opts storeOptions, onOpen func(storage.Store)) (storage.Store, error) {
	s, err := openStore(ctx, cfg, opts)
	if err == nil {
		onOpen(s)
		return s, nil
	}
	if !errors.Is(err, storage.ErrUnavailable) {
		return nil, err
	}
	opts.logger.Error("the database is unreachable; retrying in the background, and /readyz says not ready until it answers", slog.String("error", err.Error()))
	d := storage.NewDeferred(err)
	go func() {
		backoff := time.Second
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			s, err := openStore(ctx, cfg, opts)
			if err == nil {
				d.Set(s)
				opts.logger.Info("the database is reachable")
				onOpen(s)
				return
			}
			if ctx.Err() != nil {
				return
			}
			d.SetCause(err)
			if !errors.Is(err, storage.ErrUnavailable) {
				if opts.fatal != nil {
					opts.fatal(err)
				} else {
					opts.logger.Error("the database cannot be used; not retrying", slog.String("error", err.Error()))
				}
				return
			}
			opts.logger.Warn("the database is still unreachable", slog.String("error", err.Error()), slog.Duration("retry_in", backoff))
			backoff = min(backoff*2, 30*time.Second)
		}
	}()
	return d, nil
}

// redactDSN describes a connection string for messages without printing
// it: a PostgreSQL DSN can hold a password in several places (user:pass@,
// ?password=, sslpassword=, key=value pairs with quotes), so it is parsed
// and only host, port, database, user and search_path are shown. An SQLite
// path is shown as it is.
func redactDSN(driver, dsn string) string {
	if driver != config.DriverPostgres {
		return dsn
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "(a connection string that cannot be parsed)"
	}
	out := fmt.Sprintf("%s:%d/%s as %s", cfg.Host, cfg.Port, cfg.Database, cfg.User)
	if sp := cfg.RuntimeParams["search_path"]; sp != "" {
		out += " (search_path " + sp + ")"
	}
	return out
}
