package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations loads the embedded migrations. The files are fixed at build
// time, so an error here is a bug, which TestMigrationsEmbedded catches.
func migrations() ([]migrate.Migration, error) {
	return migrate.Load(migrationFiles, "migrations")
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL -- unix milliseconds, UTC
)`

// querier is the writer pool or a transaction on it.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// appliedVersions reads the versions recorded in schema_migrations, or none if
// the table does not exist yet.
func appliedVersions(ctx context.Context, q querier) ([]int, error) {
	var tables int
	err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables)
	if err != nil || tables == 0 {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// MigrationStatus is one migration as `signet migrate status` shows it.
type MigrationStatus = migrate.Status

// Status lists the migrations this build knows, applied or pending, and
// after them any the database records that this build does not know.
func (s *Store) Status(ctx context.Context) ([]MigrationStatus, error) {
	if s.closed.Load() {
		return nil, storage.ErrClosed
	}
	known, err := migrations()
	if err != nil {
		return nil, err
	}
	var tables int
	if err := s.w.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return nil, s.fail(ctx, "read schema_migrations", err)
	}
	var applied []MigrationStatus
	if tables > 0 {
		rows, err := s.w.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			return nil, s.fail(ctx, "read schema_migrations", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m MigrationStatus
			var at int64
			if err := rows.Scan(&m.Version, &m.Name, &at); err != nil {
				return nil, s.fail(ctx, "read schema_migrations", err)
			}
			m.Applied = time.UnixMilli(at).UTC()
			applied = append(applied, m)
		}
		if err := rows.Err(); err != nil {
			return nil, s.fail(ctx, "read schema_migrations", err)
		}
	}
	return migrate.Statuses(known, applied), nil
}

// Migrate applies the pending migrations and returns the names of those it
// applied, none if the schema was up to date. Open does it already unless
// Options.NoMigrate or Options.ForMigration; it is for `signet migrate`.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	if s.closed.Load() {
		return nil, storage.ErrClosed
	}
	applied, err := s.migrate(ctx, false)
	if err != nil {
		return applied, fmt.Errorf("sqlite: migrate %q: %w", s.path, err)
	}
	if err := s.prepare(ctx); err != nil {
		return applied, fmt.Errorf("sqlite: migrate %q: %w", s.path, err)
	}
	return applied, nil
}

// migrate brings the schema up to date and returns the names of the
// migrations it applied, or, with noMigrate, only checks that it is. Either
// way a database that records a migration this build does not know is refused
// with storage.ErrSchemaTooNew.
func (s *Store) migrate(ctx context.Context, noMigrate bool) ([]string, error) {
	known, err := migrations()
	if err != nil {
		return nil, err
	}
	if noMigrate {
		applied, err := appliedVersions(ctx, s.w)
		if err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", mapErr(err))
		}
		return nil, migrate.Check(known, applied)
	}
	if _, err := s.w.ExecContext(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", mapErr(err))
	}
	var names []string
	for {
		name, err := s.applyNext(ctx, known)
		if err != nil || name == "" {
			return names, err
		}
		names = append(names, name)
	}
}

// applyNext applies the first pending migration in a transaction of its own,
// and returns its name, or "" when none is pending. The transaction begins
// IMMEDIATE (the writer's _txlock), so it holds SQLite's write lock from its
// first statement: another instance migrating the same file waits, then finds
// nothing to do.
func (s *Store) applyNext(ctx context.Context, known []migrate.Migration) (string, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("begin migration: %w", mapErr(err))
	}
	defer tx.Rollback()
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return "", fmt.Errorf("read schema_migrations: %w", mapErr(err))
	}
	pending, err := migrate.Pending(known, applied)
	if err != nil || len(pending) == 0 {
		return "", err
	}
	m := pending[0]
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return "", fmt.Errorf("apply migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)`,
		m.Version, m.Name, s.now().UnixMilli()); err != nil {
		return "", fmt.Errorf("record migration %s: %w", m.Name, mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("commit migration %s: %w", m.Name, mapErr(err))
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "applied storage migration", slog.String("migration", m.Name), slog.String("path", s.path))
	return m.Name, nil
}
