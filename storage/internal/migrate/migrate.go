package migrate

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/signetid/signet/storage"
)

// Migration is one schema change: the file NNNN_name.sql.
type Migration struct {
	Version int    // NNNN, from 1 with no gaps
	Name    string // the file name without .sql, e.g. "0001_client_assertion_jtis"
	SQL     string
}

var fileName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// Load reads the migrations in dir of fsys, sorted by version. Every .sql file
// must be named NNNN_name.sql (lowercase name), and the versions must run from
// 1 with no gap and no duplicate, so that a typo in a file name is an error at
// once and not a migration silently skipped.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration file %q: want NNNN_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		if strings.TrimSpace(string(b)) == "" {
			return nil, fmt.Errorf("migration file %q is empty", e.Name())
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(e.Name(), ".sql"), SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %q: want version %04d (versions run from 1 with no gap or duplicate)", m.Name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %q", dir)
	}
	return ms, nil
}

// Pending returns the migrations of known that applied lacks, in order.
// applied holds the versions the database records. A recorded version that
// known does not have means a newer build wrote the database: the error wraps
// storage.ErrSchemaTooNew.
func Pending(known []Migration, applied []int) ([]Migration, error) {
	done := make(map[int]bool, len(applied))
	for _, v := range applied {
		if v < 1 || v > len(known) {
			return nil, fmt.Errorf("%w: it records migration %d, and this build knows migrations up to %d; upgrade signet to use this database",
				storage.ErrSchemaTooNew, slices.Max(applied), len(known))
		}
		done[v] = true
	}
	var pending []Migration
	for _, m := range known {
		if !done[m.Version] {
			pending = append(pending, m)
		}
	}
	return pending, nil
}

// Names lists the names of ms, for messages.
func Names(ms []Migration) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.Name
	}
	return strings.Join(names, ", ")
}

// Check returns nil if applied records every migration of known, and
// otherwise an error: one wrapping storage.ErrSchemaTooNew as Pending does, or
// one wrapping storage.ErrMigrationsPending that names the pending migrations.
// It is what an adapter opened without migrating checks.
func Check(known []Migration, applied []int) error {
	pending, err := Pending(known, applied)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("%w: %d pending (%s); run signet migrate, or start without --no-migrate",
			storage.ErrMigrationsPending, len(pending), Names(pending))
	}
	return nil
}

// Status is one migration as `signet migrate status` shows it. The adapters
// export it as MigrationStatus.
type Status struct {
	Version int
	Name    string
	// Applied is when it was applied; zero while it is pending.
	Applied time.Time
	// Unknown is set for a migration the database records and this build
	// does not know: a newer Signet wrote the database.
	Unknown bool
}

// Statuses lists the migrations of known, applied or pending, and after them,
// by version and marked Unknown, any of applied that known does not have.
// applied holds the rows of schema_migrations, with Version, Name and Applied
// set.
func Statuses(known []Migration, applied []Status) []Status {
	byVersion := make(map[int]Status, len(applied))
	for _, a := range applied {
		byVersion[a.Version] = a
	}
	var out []Status
	for _, m := range known {
		st := Status{Version: m.Version, Name: m.Name}
		if a, ok := byVersion[m.Version]; ok {
			st.Applied = a.Applied
			delete(byVersion, m.Version)
		}
		out = append(out, st)
	}
	var unknown []Status
	for _, a := range byVersion {
		a.Unknown = true
		unknown = append(unknown, a)
	}
	slices.SortFunc(unknown, func(a, b Status) int { return a.Version - b.Version })
	return append(out, unknown...)
}
