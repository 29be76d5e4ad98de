package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"

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

// migrate brings the schema up to date, or, with noMigrate, only checks that
// it is. Either way a database that records a migration this build does not
// know is refused with storage.ErrSchemaTooNew.
func (s *Store) migrate(ctx context.Context, noMigrate bool) error {
	known, err := migrations()
	if err != nil {
		return err
	}
	if noMigrate {
		applied, err := appliedVersions(ctx, s.w)
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		pending, err := migrate.Pending(known, applied)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			return fmt.Errorf("%w: %d pending (%s); run signet migrate, or start without --no-migrate",
				storage.ErrMigrationsPending, len(pending), migrate.Names(pending))
		}
		return nil
	}
	if _, err := s.w.ExecContext(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for {
		done, err := s.applyNext(ctx, known)
		if err != nil || done {
			return err
		}
	}
}

// applyNext applies the first pending migration in a transaction of its own,
// and reports done when none is pending. The transaction begins IMMEDIATE (the
// writer's _txlock), so it holds SQLite's write lock from its first statement:
// another instance migrating the same file waits, then finds nothing to do.
func (s *Store) applyNext(ctx context.Context, known []migrate.Migration) (done bool, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return false, fmt.Errorf("read schema_migrations: %w", err)
	}
	pending, err := migrate.Pending(known, applied)
	if err != nil || len(pending) == 0 {
		return err == nil, err
	}
	m := pending[0]
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("apply migration %s: %w", m.Name, err)
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)`,
		m.Version, m.Name, s.now().UnixMilli()); err != nil {
		return false, fmt.Errorf("record migration %s: %w", m.Name, mapErr(err))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit migration %s: %w", m.Name, err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "applied storage migration", slog.String("migration", m.Name), slog.String("path", s.path))
	return false, nil
}
