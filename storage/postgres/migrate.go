package postgres

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

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
    version    integer PRIMARY KEY,
    name       text    NOT NULL,
    applied_at bigint  NOT NULL -- unix milliseconds, UTC
)`

// lockMigrations serialises migrations of one schema: a transaction-level
// advisory lock on a key made of the schema's name, so that instances
// migrating other schemas of the same database (parallel tests, several
// deployments) do not wait for each other. It is released at commit or
// rollback, or when the session ends (a process killed while migrating).
const lockMigrations = `SELECT pg_advisory_xact_lock(hashtextextended('signet migrate ' || current_schema(), 0))`

// appliedVersions reads the versions recorded in schema_migrations of the
// current schema, or none if the table does not exist yet.
func appliedVersions(ctx context.Context, q pgxQuerier) ([]int, error) {
	var exists bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables
		WHERE schemaname = current_schema() AND tablename = 'schema_migrations')`).Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := q.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int])
}

// MigrationStatus is one migration as `signet migrate status` shows it.
type MigrationStatus = migrate.Status

// Status lists the migrations this build knows, applied or pending, and
// after them any the database records that this build does not know.
func (s *Store) Status(ctx context.Context) ([]MigrationStatus, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	known, err := migrations()
	if err != nil {
		return nil, err
	}
	octx, cancel := s.op(ctx)
	defer cancel()
	var exists bool
	if err := s.pool.QueryRow(octx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables
		WHERE schemaname = current_schema() AND tablename = 'schema_migrations')`).Scan(&exists); err != nil {
		return nil, s.fail(ctx, "read schema_migrations", err)
	}
	var applied []MigrationStatus
	if exists {
		rows, err := s.pool.Query(octx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			return nil, s.fail(ctx, "read schema_migrations", err)
		}
		var m MigrationStatus
		var at int64
		if _, err := pgx.ForEachRow(rows, []any{&m.Version, &m.Name, &at}, func() error {
			m.Applied = time.UnixMilli(at).UTC()
			applied = append(applied, m)
			return nil
		}); err != nil {
			return nil, s.fail(ctx, "read schema_migrations", err)
		}
	}
	return migrate.Statuses(known, applied), nil
}

// Migrate applies the pending migrations and returns the names of those it
// applied, none if the schema was up to date. Open does it already unless
// Options.NoMigrate or Options.ForMigration; it is for `signet migrate`.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	if err := s.alive(); err != nil {
		return nil, err
	}
	applied, err := s.migrate(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate %s: %w", s.target, err)
	}
	return applied, nil
}

// migrate brings the schema up to date and returns the names of the
// migrations it applied, or, with noMigrate, only checks that it is. Either
// way a database that records a migration this build does not know is refused
// with storage.ErrSchemaTooNew.
//
// All pending migrations are applied in one transaction (PostgreSQL's DDL is
// transactional: all or nothing) under lockMigrations. Another instance
// migrating the same schema at the same moment waits for the lock, then finds
// nothing pending. The transaction has no statement timeout, since a
// migration may rewrite a large table: ctx bounds it.
func (s *Store) migrate(ctx context.Context, noMigrate bool) ([]string, error) {
	known, err := migrations()
	if err != nil {
		return nil, err
	}
	if noMigrate {
		octx, cancel := s.op(ctx)
		defer cancel()
		applied, err := appliedVersions(octx, s.pool)
		if err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", mapErr(err))
		}
		return nil, migrate.Check(known, applied)
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin migration: %w", mapErr(err))
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
		return nil, fmt.Errorf("begin migration: %w", mapErr(err))
	}
	if _, err := tx.Exec(ctx, lockMigrations); err != nil {
		return nil, fmt.Errorf("lock migrations: %w", mapErr(err))
	}
	if _, err := tx.Exec(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", mapErr(err))
	}
	applied, err := appliedVersions(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", mapErr(err))
	}
	pending, err := migrate.Pending(known, applied)
	if err != nil || len(pending) == 0 {
		return nil, err
	}
	var names []string
	for _, m := range pending {
		// The simple protocol: a file holds several statements.
		if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
			return nil, fmt.Errorf("apply migration %s: %w", m.Name, mapErr(err))
		}
		if _, err := tx.Exec(ctx,
			`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.Version, m.Name, s.now().UnixMilli()); err != nil {
			return nil, fmt.Errorf("record migration %s: %w", m.Name, mapErr(err))
		}
		names = append(names, m.Name)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit migrations %s: %w", migrate.Names(pending), mapErr(err))
	}
	for _, name := range names {
		s.log.LogAttrs(ctx, slog.LevelInfo, "applied storage migration", slog.String("migration", name),
			slog.String("database", s.target), slog.String("schema", s.schema))
	}
	return names, nil
}
