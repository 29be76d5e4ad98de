package main

// signet migrate and signet migrate status: the database schema as a deploy
// step of its own, for servers started with --no-migrate.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/postgres"
	"github.com/signetid/signet/storage/sqlite"
)

// migrateConfigHelp is the part of the migrate commands' help about
// --config.
const migrateConfigHelp = `
The database is the one the configuration names (storage: sqlite, the
default, in dataDir; or postgres), given by --config FILE or
$SIGNET_CONFIG; with neither, the development defaults: SQLite in
./signet-data/signet.db, as "signet serve" uses. Only the storage and
dataDir sections matter: a problem elsewhere (the signing key, a client
secret's variable that is not set here) does not stop it; signet config
check reports those. The memory driver keeps no schema: there is nothing
to migrate.`

func (a *app) migrateCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "migrate [--config FILE] [--json]",
		Short: "Apply the pending migrations to the database's schema",
		Long: `Apply the migrations the database's schema lacks, and print those applied
(none when it is up to date). signet serve applies them too when it starts,
unless it is started with --no-migrate: then run signet migrate first, as a
deploy step, and a server refuses to start on a schema that is behind.

It is safe to run while servers run, and from several machines at once: one
migrates under a lock (SQLite's write lock; on PostgreSQL, an advisory lock
on the schema) while the others wait, then find nothing left to do.
PostgreSQL applies all pending migrations in one transaction (all or
nothing); SQLite applies each in a transaction of its own.

A database that records a migration this build does not know was written by
a newer Signet: it is refused and nothing is changed; upgrade signet.
` + migrateConfigHelp + `

Exit codes: 0 success (migrations applied, or none pending), 1 failure
(database error, schema written by a newer Signet), 2 wrong usage (the
memory driver).`,
		Example: `  signet migrate --config /etc/signet/signet.yaml
  signet migrate status --config signet.yaml || signet migrate --config signet.yaml
  SIGNET_CONFIG=signet.yaml signet migrate --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q: signet migrate takes no arguments (signet migrate status lists the migrations)", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return a.migrate(cmd.Context(), f) },
	}
	f.register(cmd, true)
	cmd.AddCommand(a.migrateStatusCommand())
	return cmd
}

func (a *app) migrateStatusCommand() *cobra.Command {
	f := &catalogFlags{}
	cmd := &cobra.Command{
		Use:   "status [--config FILE] [--json]",
		Short: "List the migrations: applied, pending, or unknown to this build",
		Long: `List the migrations of the database's schema: each one this build knows,
with when it was applied or "pending", then any the database records that
this build does not know ("unknown": a newer Signet wrote them).

It only reads: nothing is created or changed, not even the table of
migrations, and a SQLite file that does not exist is not created.

The exit code says whether the schema is up to date, so that a deploy can
gate on it; what to do is said on stderr.
` + migrateConfigHelp + `

Exit codes: 0 up to date; 1 migrations pending (run signet migrate), a
database written by a newer Signet (upgrade signet), or a failure; 2 wrong
usage (the memory driver).`,
		Example: `  signet migrate status --config signet.yaml
  signet migrate status --json
  signet migrate status --config signet.yaml || echo "run signet migrate first"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.migrateStatus(cmd.Context(), f) },
	}
	f.register(cmd, true)
	return cmd
}

// migrationView is one migration as status shows it.
type migrationView struct {
	Version int    `json:"version"`
	Name    string `json:"name"`
	// State is applied, pending, or unknown (recorded by a newer Signet).
	State   string    `json:"state"`
	Applied time.Time `json:"applied,omitzero"`
}

// Migration states.
const (
	migrationApplied = "applied"
	migrationPending = "pending"
	migrationUnknown = "unknown"
)

// schemaView is what status prints with --json.
type schemaView struct {
	Driver   string `json:"driver"`
	Database string `json:"database"` // the dsn, password redacted
	File     string `json:"file,omitempty"`
	// Missing: the SQLite file does not exist yet.
	Missing    bool            `json:"missing,omitempty"`
	UpToDate   bool            `json:"upToDate"`
	Migrations []migrationView `json:"migrations"`
	Pending    []string        `json:"pending"`
	Unknown    []string        `json:"unknown"`
}

// migrateView is what migrate prints with --json.
type migrateView struct {
	Driver   string `json:"driver"`
	Database string `json:"database"`
	File     string `json:"file,omitempty"`
	// Applied are the migrations this run applied; none if the schema
	// was up to date.
	Applied []string `json:"applied"`
	// Migrations counts those of this build, all applied now.
	Migrations int `json:"migrations"`
}

// migrationState is the adapters' MigrationStatus: sqlite's and postgres's
// have these fields, so both convert to it.
type migrationState struct {
	Version int
	Name    string
	Applied time.Time
	Unknown bool
}

// migrator is a store with a schema to migrate: sqlite and postgres.
type migrator interface {
	Migrate(ctx context.Context) ([]string, error)
}

// schemaStatus lists the migrations of a store opened for migration.
func schemaStatus(ctx context.Context, db storage.Store) ([]migrationView, error) {
	var states []migrationState
	switch s := db.(type) {
	case *sqlite.Store:
		list, err := s.Status(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range list {
			states = append(states, migrationState(m))
		}
	case *postgres.Store:
		list, err := s.Status(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range list {
			states = append(states, migrationState(m))
		}
	default:
		return nil, fmt.Errorf("a %T has no migrations", db)
	}
	views := make([]migrationView, 0, len(states))
	for _, m := range states {
		v := migrationView{Version: m.Version, Name: m.Name, State: migrationApplied, Applied: m.Applied}
		switch {
		case m.Unknown:
			v.State = migrationUnknown
		case m.Applied.IsZero():
			v.State = migrationPending
		}
		views = append(views, v)
	}
	return views, nil
}

// migrationNames are the names of the migrations in state.
func migrationNames(views []migrationView, state string) []string {
	names := []string{}
	for _, v := range views {
		if v.State == state {
			names = append(names, v.Name)
		}
	}
	return names
}

// migrateIgnoredSections are the parts of the configuration migrate does
// not use: it needs storage and dataDir only, so that a deploy step runs
// without the signing key or the clients' secrets. Anything else, such as a
// misspelt section, stops it as it stops serve.
var migrateIgnoredSections = append(slices.Clone(ignoredSections),
	"issuer", "trustProxy", "allowHttp", "accessTokenJwtType", "strictClientAssertionAudience", "apiScopes", "apiResources", "clients")

// migrationEnv loads the configuration as serve does, keeping the problems
// of the sections migrate uses, and refuses the memory driver, which has no
// schema.
func (a *app) migrationEnv(flag string) (*catalogEnv, error) {
	cfg, development, err := a.loadConfigFor(flag, migrateIgnoredSections)
	if err != nil {
		return nil, err
	}
	env := &catalogEnv{cfg: cfg, development: development}
	if env.cfg.Storage.Driver == config.DriverMemory {
		where := "the configuration"
		if env.cfg.File != "" {
			where = env.cfg.File
		}
		return nil, usagef("%s uses storage driver memory, which has no schema: there is nothing to migrate (migrations are for sqlite and postgres)", where)
	}
	return env, nil
}

// openForMigration opens the configured store without applying or checking
// migrations. The caller closes it.
func (a *app) openForMigration(ctx context.Context, env *catalogEnv, st config.Storage) (storage.Store, error) {
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := openStore(ctx, st, storeOptions{forMigration: true, logger: logger})
	if errors.Is(err, storage.ErrUnavailable) {
		// Only a server is unreachable: postgres, which needs a file.
		return nil, fmt.Errorf("%w: check that the database server runs and that storage.dsn in %s names it", err, env.cfg.File)
	}
	return db, err
}

// databaseName names the database for messages, its password hidden, and
// where it is configured: "postgres database postgres://signet:xxxxx@db/signet
// (configuration file signet.yaml)".
func databaseName(env *catalogEnv) string {
	st := env.cfg.Storage
	return fmt.Sprintf("%s database %s (%s)", st.Driver, redactDSN(st.Driver, st.DSN), configName(env))
}

// configName names where the configuration comes from, for messages.
func configName(env *catalogEnv) string {
	if env.development {
		return "development defaults: no configuration file"
	}
	return "configuration file " + env.cfg.File
}

func (a *app) migrate(ctx context.Context, f *catalogFlags) error {
	env, err := a.migrationEnv(f.config)
	if err != nil {
		return err
	}
	db, err := a.openForMigration(ctx, env, env.cfg.Storage)
	if err != nil {
		return err
	}
	defer db.Close()
	m, ok := db.(migrator)
	if !ok {
		return fmt.Errorf("the %s has no migrations", databaseName(env))
	}
	applied, err := m.Migrate(ctx)
	if !f.json && len(applied) > 0 {
		// SQLite applies one migration per transaction: those before a
		// failure stay applied.
		fmt.Fprintln(a.stdout, env.header())
		for _, name := range applied {
			fmt.Fprintf(a.stdout, "Applied %s\n", name)
		}
	}
	if errors.Is(err, storage.ErrSchemaTooNew) {
		unknown := "a migration"
		if views, serr := schemaStatus(ctx, db); serr == nil {
			if names := migrationNames(views, migrationUnknown); len(names) > 0 {
				unknown = strings.Join(names, ", ")
			}
		}
		return fmt.Errorf("the %s was written by a newer Signet: it records %s, which this build (signet %s) does not know. Nothing was changed: upgrade signet to the version that wrote it, or a later one (signet migrate status lists the migrations)",
			databaseName(env), unknown, versionString())
	} else if err != nil {
		return fmt.Errorf("migrate the %s: %w", databaseName(env), err)
	}
	views, err := schemaStatus(ctx, db)
	if err != nil {
		return fmt.Errorf("read the migrations of the %s: %w", databaseName(env), err)
	}
	if f.json {
		return a.printJSON(migrateView{
			Driver: env.cfg.Storage.Driver, Database: redactDSN(env.cfg.Storage.Driver, env.cfg.Storage.DSN), File: env.file(),
			Applied: nonNil(applied), Migrations: len(views),
		})
	}
	if len(applied) == 0 {
		fmt.Fprintln(a.stdout, env.header())
		fmt.Fprintf(a.stdout, "The schema is up to date (%s): nothing to apply.\n", countMigrations(len(views)))
		return nil
	}
	fmt.Fprintf(a.stdout, "The schema is up to date (%s).\n", countMigrations(len(views)))
	return nil
}

func countMigrations(n int) string {
	if n == 1 {
		return "1 migration"
	}
	return fmt.Sprintf("%d migrations", n)
}

func (a *app) migrateStatus(ctx context.Context, f *catalogFlags) error {
	env, err := a.migrationEnv(f.config)
	if err != nil {
		return err
	}
	st := env.cfg.Storage
	// A SQLite file that does not exist is not created: its migrations are
	// those of an empty database, which an in-memory one has.
	missing := false
	if st.Driver == config.DriverSQLite {
		if _, err := os.Stat(st.DSN); errors.Is(err, fs.ErrNotExist) {
			missing = true
			st.DSN = sqlite.Memory
		}
	}
	db, err := a.openForMigration(ctx, env, st)
	if err != nil {
		return err
	}
	defer db.Close()
	views, err := schemaStatus(ctx, db)
	if err != nil {
		return fmt.Errorf("read the migrations of the %s: %w", databaseName(env), err)
	}
	pending, unknown := migrationNames(views, migrationPending), migrationNames(views, migrationUnknown)
	if f.json {
		if err := a.printJSON(schemaView{
			Driver: env.cfg.Storage.Driver, Database: redactDSN(env.cfg.Storage.Driver, env.cfg.Storage.DSN), File: env.file(),
			Missing: missing, UpToDate: len(pending) == 0 && len(unknown) == 0,
			Migrations: views, Pending: pending, Unknown: unknown,
		}); err != nil {
			return err
		}
	} else if err := a.printMigrations(env, views); err != nil {
		return err
	}
	switch {
	case len(unknown) > 0:
		return fmt.Errorf("the %s was written by a newer Signet: it records %s, which this build (signet %s) does not know; upgrade signet to the version that wrote it, or a later one, before using this database",
			databaseName(env), strings.Join(unknown, ", "), versionString())
	case missing:
		return fmt.Errorf("the sqlite database %s does not exist yet: signet migrate creates it and applies the %s (signet serve does too when it starts, unless --no-migrate)",
			env.cfg.Storage.DSN, countMigrations(len(pending)))
	case len(pending) > 0:
		what, them := fmt.Sprintf("%d migrations are", len(pending)), "them"
		if len(pending) == 1 {
			what, them = "1 migration is", "it"
		}
		return fmt.Errorf("%s pending (%s) in the %s: run signet migrate to apply %s (signet serve does too when it starts, unless --no-migrate)",
			what, strings.Join(pending, ", "), databaseName(env), them)
	}
	if !f.json {
		fmt.Fprintf(a.stdout, "The schema is up to date (%s).\n", countMigrations(len(views)))
	}
	return nil
}

// printMigrations prints the status as a table.
func (a *app) printMigrations(env *catalogEnv, views []migrationView) error {
	fmt.Fprintln(a.stdout, env.header())
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
	for _, v := range views {
		applied := migrationPending
		if !v.Applied.IsZero() {
			applied = v.Applied.UTC().Format(timeLayout)
		}
		if v.State == migrationUnknown {
			applied += ", unknown (written by a newer Signet)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", v.Version, v.Name, applied)
	}
	return tw.Flush()
}
