package main

// What the client, scope and resource commands share: the configuration they
// read (the file's definitions, as records, which the database must not
// repeat), the store they open, how they print records, and the reading of
// lifetimes and dates. The rules a change keeps are internal/catalog's
// (rules.go): these commands add their flags' names to its errors.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/storage"
)

// Where a client, scope or resource is defined.
const (
	sourceDatabase    = "database"
	sourceFile        = "file"
	sourceDevelopment = "development"
)

// catalogExitCodes ends the help of every catalog command.
const catalogExitCodes = `

Exit codes: 0 success, 1 failure (refused, not found, database error),
2 wrong usage.`

// configHelp is the part of every catalog command's help about --config.
const configHelp = `
The database is the one the configuration names (storage: sqlite, the
default, in dataDir; or postgres), given by --config FILE or
$SIGNET_CONFIG; with neither, the development defaults: SQLite in
./signet-data/signet.db, as "signet serve" uses. Migrations are applied as
serve applies them. A running server sees a change within
storage.pollInterval (default 2s; PostgreSQL also notifies at once).`

// catalogFlags are the flags of every catalog command.
type catalogFlags struct {
	config string
	json   bool
}

func (f *catalogFlags) register(cmd *cobra.Command, json bool) {
	cmd.Flags().StringVar(&f.config, "config", "", "configuration `FILE` (default $SIGNET_CONFIG; none: the development defaults)")
	if json {
		cmd.Flags().BoolVar(&f.json, "json", false, "print the result as JSON")
	}
}

// catalogEnv is the configuration a catalog command works with.
type catalogEnv struct {
	cfg         *config.Config
	development bool // no configuration file: the development defaults
	// clients are the configuration's clients, as records.
	clients []storage.Client
}

// expiryWindow is keyExpiryWarning: a secret expiring within it is
// flagged.
func (e *catalogEnv) expiryWindow() time.Duration {
	if e.cfg == nil || e.cfg.KeyExpiryWarning <= 0 {
		return config.DefaultKeyExpiryWarning
	}
	return e.cfg.KeyExpiryWarning
}

// allowHTTP reports whether a client's URIs may be any http ones: in
// development, or with allowHttp in the configuration.
func (e *catalogEnv) allowHTTP() bool { return e.development || e.cfg.AllowHTTP }

// ignoredSections are the parts of the configuration the catalog commands do
// not use: a problem there (a signing key on another machine, a variable only
// the server sets) does not stop them.
var ignoredSections = []string{"key", "validationKeys", "tls", "listen", "log"}

// catalogConfig loads the configuration as serve does. Problems in the
// sections the commands use (storage, dataDir, issuer, clients, scopes,
// resources) stop them, since the file's definitions decide what may be
// written; problems elsewhere are left to "signet config check".
func (a *app) catalogConfig(flag string) (*catalogEnv, error) {
	cfg, development, err := a.loadConfigFor(flag, ignoredSections)
	if err != nil {
		return nil, err
	}
	return &catalogEnv{cfg: cfg, development: development, clients: fileClients(cfg, development)}, nil
}

// loadConfigFor loads the configuration as serve does, for a command that
// does not use the ignored sections: their problems (a signing key on
// another machine, a variable only the server sets) do not stop it; any
// other problem, a misspelt section among them, does.
func (a *app) loadConfigFor(flag string, ignored []string) (*config.Config, bool, error) {
	cfg, development, err := a.loadConfig(flag)
	if cfg == nil {
		return nil, false, err
	}
	if err != nil {
		var problems *config.Errors
		if !errors.As(err, &problems) {
			return nil, false, err
		}
		var relevant config.Errors
		for _, p := range problems.Problems {
			if !inSections(p.Path, ignored) {
				relevant.Add(p)
			}
		}
		if err := relevant.Err(); err != nil {
			return nil, false, err
		}
	}
	return cfg, development, nil
}

func inSections(path string, sections []string) bool {
	for _, s := range sections {
		if path == s || strings.HasPrefix(path, s+".") || strings.HasPrefix(path, s+"[") {
			return true
		}
	}
	return false
}

// source is where the configuration's own definitions come from.
func (e *catalogEnv) source() string {
	if e.development {
		return sourceDevelopment
	}
	return sourceFile
}

// file is the configuration file's path, "" in development mode.
func (e *catalogEnv) file() string {
	if e.development {
		return ""
	}
	return e.cfg.File
}

// where names the database for people.
func (e *catalogEnv) where() string {
	return e.cfg.Storage.Driver + " database" + e.dsn() + e.fileNote(", configuration file ")
}

// header is the first line of a list: which database, which file.
func (e *catalogEnv) header() string {
	return "Database: " + e.cfg.Storage.Driver + e.dsn() + e.fileNote("; configuration file: ")
}

// dsn is the database's DSN (its password hidden) after a space, or "".
func (e *catalogEnv) dsn() string {
	if st := e.cfg.Storage; st.DSN != "" {
		return " " + redactDSN(st.Driver, st.DSN)
	}
	return ""
}

// fileNote names the configuration file after sep, or says there is none.
func (e *catalogEnv) fileNote(sep string) string {
	if e.development {
		return " (development defaults: no configuration file)"
	}
	return sep + e.cfg.File
}

// pollNote tells when running servers see a change.
func (e *catalogEnv) pollNote() string {
	s := fmt.Sprintf("running servers see it within storage.pollInterval (%v)", e.cfg.Storage.PollInterval)
	if e.cfg.Storage.Driver == config.DriverPostgres {
		s += ", usually at once (PostgreSQL notifies them)"
	}
	return s
}

// fileClients are the clients the configuration defines, as records (for a
// view: see fileRecord): the file's, or in development mode the
// development client.
func fileClients(cfg *config.Config, development bool) []storage.Client {
	clients := cfg.Clients
	if development {
		clients = []config.Client{{
			ClientID: devClientID, ClientName: "Development client",
			Secrets: []config.Secret{{Description: "kept in " + filepath.Join(cfg.DataDir, devSecretFile)}},
			// What serve registers (developmentSignIn), but the redirect
			// URIs, which need the port serve listens on.
			AllowedGrantTypes:   []string{config.GrantClientCredentials, "authorization_code"},
			AllowedScopes:       append(strings.Fields(devSignInScopes), devScope),
			AccessTokenLifetime: config.DefaultAccessTokenLifetime,
		}}
	}
	records := make([]storage.Client, len(clients))
	for i := range clients {
		records[i] = fileRecord(cfg, fmt.Sprintf("clients[%d]", i), &clients[i], nil)
	}
	return records
}

// fileScopes are the configuration's API scopes, as records.
func (e *catalogEnv) fileScopes() []storage.APIScope {
	out := make([]storage.APIScope, len(e.cfg.APIScopes))
	for i, s := range e.cfg.APIScopes {
		out[i] = storage.APIScope{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description}
	}
	return out
}

// fileResources are the configuration's API resources, as records.
func (e *catalogEnv) fileResources() []storage.APIResource {
	out := make([]storage.APIResource, len(e.cfg.APIResources))
	for i, r := range e.cfg.APIResources {
		out[i] = storage.APIResource{Name: r.Name, DisplayName: r.DisplayName, Scopes: r.Scopes}
	}
	return out
}

func (e *catalogEnv) fileScope(name string) (storage.APIScope, bool) {
	return named(e.fileScopes(), name, func(s storage.APIScope) string { return s.Name })
}

func (e *catalogEnv) fileResource(name string) (storage.APIResource, bool) {
	return named(e.fileResources(), name, func(r storage.APIResource) string { return r.Name })
}

func (e *catalogEnv) fileClient(id string) (storage.Client, bool) {
	return named(e.clients, id, func(c storage.Client) string { return c.ID })
}

// named finds the record of a list by its name.
func named[R any](list []R, name string, nameOf func(R) string) (R, bool) {
	i := slices.IndexFunc(list, func(r R) bool { return nameOf(r) == name })
	if i < 0 {
		var none R
		return none, false
	}
	return list[i], true
}

// definedThere refuses to change, in the database, what the configuration
// defines (kind is "client", "scope" or "resource").
func (e *catalogEnv) definedThere(kind, name string) error {
	if e.development {
		return fmt.Errorf("%s %q is defined by the development defaults (no configuration file), not in the database: it cannot be changed; give --config FILE to manage a configured server", kind, name)
	}
	return fmt.Errorf("%s %q is defined in the configuration file %s: edit it there", kind, name, e.cfg.File)
}

// takenThere refuses to add to the database what the configuration defines:
// one name is defined in one place, or signet serve refuses to start.
func (e *catalogEnv) takenThere(kind, name string) error {
	if e.development {
		return fmt.Errorf("%s %q is defined by the development defaults (no configuration file): pick another name (a name is defined in the configuration or in the database, never both, or signet serve refuses to start)", kind, name)
	}
	return fmt.Errorf("%s %q is defined in the configuration file %s: pick another name, or edit it in the file (a name is defined in the file or in the database, never both, or signet serve refuses to start)", kind, name, e.cfg.File)
}

// writable refuses changes to a memory database, which is gone when the
// command ends: the change would seem made and be lost.
func (e *catalogEnv) writable() error {
	if e.cfg.Storage.Driver == config.DriverMemory {
		where := "the configuration"
		if e.cfg.File != "" {
			where = e.cfg.File
		}
		return fmt.Errorf("%s uses storage driver memory, which keeps nothing after this command ends: the change would be lost. Use sqlite or postgres to manage clients, scopes and resources", where)
	}
	return nil
}

// open opens the configured store, applying migrations as serve does. The
// caller closes it.
func (a *app) openCatalogStore(ctx context.Context, e *catalogEnv) (storage.Store, error) {
	logger := slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := openStore(ctx, e.cfg.Storage, storeOptions{logger: logger})
	if err != nil {
		return nil, err
	}
	// The changes made through the store are audited (audit.sink).
	obs, closeAudit, err := a.cliAudit(e.cfg, db, logger)
	if err != nil {
		db.Close()
		return nil, err
	}
	return auditStore{Store: db, obs: obs, closeAudit: closeAudit}, nil
}

// knownScopes are the scopes of the file and of the database, in that order.
func (e *catalogEnv) knownScopes(ctx context.Context, db storage.Store) ([]string, error) {
	var names []string
	for _, s := range e.cfg.APIScopes {
		names = append(names, s.Name)
	}
	stored, err := db.ListAPIScopes(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range stored {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

// knownClientScopes are the scopes a client may be allowed: the API scopes
// (knownScopes), and the identity scopes, built-in and custom (the file's
// and the database's), which people signing in grant.
func (e *catalogEnv) knownClientScopes(ctx context.Context, db storage.Store) ([]string, error) {
	names, err := e.knownScopes(ctx, db)
	if err != nil {
		return nil, err
	}
	identity := config.BuiltInIdentityResources
	for _, r := range e.cfg.IdentityResources {
		if r.Enabled == nil || *r.Enabled {
			identity = append(slices.Clip(identity), r.Name)
		}
	}
	for _, s := range identity {
		if !slices.Contains(names, s) {
			names = append(names, s)
		}
	}
	stored, err := db.ListIdentityResources(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range stored {
		if !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	return names, nil
}

// badValue makes a rule's refusal of a value given on the command line a
// usage error (exit 2); flag, when not "", names the flag that gave it.
func badValue(flag string, err error) error {
	switch {
	case err == nil:
		return nil
	case flag == "":
		return usageError{err}
	}
	return usagef("%s: %w", flag, err)
}

// checkTexts checks free text given by flags.
func checkTexts(texts map[string]string) error {
	for flag, v := range texts {
		if err := catalog.CheckText(flag, v); err != nil {
			return usageError{err}
		}
	}
	return nil
}

// parseLifetime reads --lifetime: a Go duration (1h, 90m) or seconds (3600),
// whole seconds from 1s to a day; "default" (or 0) is the server's default,
// an hour.
func parseLifetime(s string) (time.Duration, error) {
	if s == "default" || s == "0" {
		return 0, nil
	}
	var d time.Duration
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > config.MaxAccessTokenLifetime {
			return 0, usagef("--lifetime %s: give from 1 to %d seconds (a day), or default", s, config.MaxAccessTokenLifetime)
		}
		d = time.Duration(n) * time.Second
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, usagef("--lifetime %q: give a duration such as 1h or 90m, seconds such as 3600, or default", s)
	}
	switch {
	case d < time.Second || d > config.MaxAccessTokenLifetime*time.Second:
		return 0, usagef("--lifetime %s: give from 1s to 24h (a day), or default", s)
	case d%time.Second != 0:
		return 0, usagef("--lifetime %s: give whole seconds", s)
	}
	return d, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// parseExpires reads --expires: a date (YYYY-MM-DD, midnight UTC, as the
// configuration reads expiration) or an RFC 3339 time, after now.
func parseExpires(s string, now time.Time) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return time.Time{}, usagef("--expires %q: give a date (2027-01-31, midnight UTC) or an RFC 3339 time (2027-01-31T12:00:00Z)", s)
		}
	}
	if !t.After(now) {
		return time.Time{}, usagef("--expires %s is in the past: give a later date", s)
	}
	return t.UTC(), nil
}

// confirm asks before a removal, on a terminal; elsewhere --yes is needed.
// what says what is removed and what follows from it.
func (a *app) confirm(yes bool, what string) error {
	if yes {
		return nil
	}
	if !a.term.IsTerminal() {
		return usagef("%s: add --yes to confirm (stdin is not a terminal, so signet cannot ask)", what)
	}
	answer, err := a.term.ReadLine(strings.ToUpper(what[:1]) + what[1:] + "? Type yes: ")
	if err != nil {
		return err
	}
	if !strings.EqualFold(strings.TrimSpace(answer), "yes") {
		return errors.New("not confirmed: nothing was changed")
	}
	return nil
}

// storeError explains a storage failure; notFound is the message for
// storage.ErrNotFound, exists for storage.ErrAlreadyExists.
func storeError(err error, notFound, exists string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrNotFound) && notFound != "":
		return errors.New(notFound)
	case errors.Is(err, storage.ErrAlreadyExists) && exists != "":
		return errors.New(exists)
	case errors.Is(err, storage.ErrInvalid):
		return fmt.Errorf("the database refuses the value: %s", strings.TrimPrefix(err.Error(), storage.ErrInvalid.Error()+": "))
	}
	return err
}

// nonNil makes JSON show [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}

// checkScopeEdits checks --scopes, --add-scope and --remove-scope together.
func checkScopeEdits(set []string, setGiven bool, add, remove []string) error {
	if setGiven && (len(add) > 0 || len(remove) > 0) {
		return usagef("--scopes replaces the list: give it, or --add-scope/--remove-scope, not both")
	}
	for i, list := range [][]string{set, add, remove} {
		if err := badValue([]string{"--scopes", "--add-scope", "--remove-scope"}[i], catalog.CheckScopeNames(list)); err != nil {
			return err
		}
	}
	for _, s := range add {
		if slices.Contains(remove, s) {
			return usagef("scope %q is both added and removed", s)
		}
	}
	return nil
}

// withCatalog loads the configuration, opens the store, runs fn and closes
// the store: what list and show do.
func (a *app) withCatalog(ctx context.Context, flag string, fn func(*catalogEnv, storage.Store) error) error {
	env, err := a.catalogConfig(flag)
	if err != nil {
		return err
	}
	return a.withStore(ctx, env, func(db storage.Store) error { return fn(env, db) })
}

// edit is a change to one record of the database: kind is "client",
// "scope" or "resource".
type edit struct {
	kind, name string
	adding     bool                    // a new record: the file's name is taken
	check      func(*catalogEnv) error // more checks against the configuration, or nil
}

// withEdit loads the configuration, refuses a name the configuration
// defines, runs e.check, refuses a database that keeps nothing, then opens
// the store and runs fn.
func (a *app) withEdit(ctx context.Context, flag string, e edit, fn func(*catalogEnv, storage.Store) error) error {
	env, err := a.catalogConfig(flag)
	if err != nil {
		return err
	}
	if env.defines(e.kind, e.name) {
		if e.adding {
			return env.takenThere(e.kind, e.name)
		}
		return env.definedThere(e.kind, e.name)
	}
	if e.check != nil {
		if err := e.check(env); err != nil {
			return err
		}
	}
	if err := env.writable(); err != nil {
		return err
	}
	return a.withStore(ctx, env, func(db storage.Store) error { return fn(env, db) })
}

// defines reports whether the configuration defines kind name.
func (e *catalogEnv) defines(kind, name string) bool {
	var ok bool
	switch kind {
	case "client":
		_, ok = e.fileClient(name)
	case "scope":
		_, ok = e.fileScope(name)
	case "resource":
		_, ok = e.fileResource(name)
	case kindIdentity:
		_, ok = e.fileIdentityResource(name)
	}
	return ok
}

// kindIdentity is the kind of an identity resource, managed with signet
// resource identity.
const kindIdentity = "identity resource"

// commandOf is the signet command that manages kind.
func commandOf(kind string) string {
	if kind == kindIdentity {
		return "resource identity"
	}
	return kind
}

// missing is the message for a kind name neither in the file nor in the
// database.
func (e *catalogEnv) missing(kind, name string) string {
	return fmt.Sprintf("no %s %q in the %s (signet %s list shows the %ss)", kind, name, e.where(), commandOf(kind), kind)
}

// found splits a lookup's storage.ErrNotFound from its other errors.
func found[T any](v T, err error) (T, bool, error) {
	if errors.Is(err, storage.ErrNotFound) {
		return v, false, nil
	}
	return v, err == nil, err
}

// origin is where a listed or shown record is defined.
type origin struct {
	// Source is database, file or development (the development defaults).
	Source string `json:"source"`
	File   string `json:"file,omitempty"`
	// Conflict: both the configuration and the database define this name.
	Conflict bool `json:"conflict,omitempty"`
}

func (o *origin) at() *origin { return o }

// inConfig is the origin of what the configuration defines; conflict is
// whether the database defines it too.
func (e *catalogEnv) inConfig(conflict bool) origin {
	return origin{Source: e.source(), File: e.file(), Conflict: conflict}
}

// record is the view of a client, scope or resource that list and show
// print: its name, and where it is defined.
type record[V any] interface {
	*V
	name() string
	at() *origin
}

// printer prints one kind of record for list, show and update.
type printer[V any, P record[V]] struct {
	kind    string           // client, scope or resource
	heading string           // the list's table heading
	columns func(V) []string // a list line's columns after the name and the source
	print   func(*app, V)    // the record for people
}

// list prints the database's records and the configuration's, sorted by
// name, each with where it is defined: as JSON, or after the header a
// table, then a warning for each name both define (CONFLICT).
func (p printer[V, P]) list(a *app, env *catalogEnv, asJSON bool, stored, file []V) error {
	inDB, inFile := map[string]bool{}, map[string]bool{}
	for i := range stored {
		inDB[P(&stored[i]).name()] = true
	}
	for i := range file {
		inFile[P(&file[i]).name()] = true
	}
	views := make([]V, 0, len(stored)+len(file))
	for _, v := range stored {
		*P(&v).at() = origin{Source: sourceDatabase, Conflict: inFile[P(&v).name()]}
		views = append(views, v)
	}
	for _, v := range file {
		*P(&v).at() = env.inConfig(inDB[P(&v).name()])
		views = append(views, v)
	}
	slices.SortStableFunc(views, func(x, y V) int { return strings.Compare(P(&x).name(), P(&y).name()) })
	if asJSON {
		return a.printJSON(views)
	}
	fmt.Fprintln(a.stdout, env.header())
	if len(views) == 0 {
		fmt.Fprintf(a.stdout, "No %ss.\n", p.kind)
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, p.heading)
	for _, v := range views {
		o := P(&v).at()
		source := o.Source
		if o.Conflict {
			source += " (CONFLICT)"
		}
		fmt.Fprintln(tw, strings.Join(append([]string{P(&v).name(), source}, p.columns(v)...), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, v := range views {
		if o := P(&v).at(); o.Conflict && o.Source == sourceDatabase {
			fmt.Fprintf(a.stderr, "warning: %s %q is defined both in the database and in %s, and signet serve refuses to start: remove one (signet %s remove %s removes the database's)\n", p.kind, P(&v).name(), env.cfg.File, commandOf(p.kind), P(&v).name())
		}
	}
	return nil
}

// show prints the record name: the configuration's (file, nil when it
// does not define it; with a warning when the database does too) or else
// the database's (stored, nil when it has none). Neither is an error.
func (p printer[V, P]) show(a *app, env *catalogEnv, asJSON bool, name string, file, stored *V) error {
	var v V
	switch {
	case file != nil:
		v = *file
		*P(&v).at() = env.inConfig(stored != nil)
		if stored != nil {
			fmt.Fprintf(a.stderr, "warning: %s %q is defined both in %s (shown) and in the database, and signet serve refuses to start: signet %s remove %s removes the database's\n", p.kind, name, env.cfg.File, p.kind, name)
		}
	case stored != nil:
		v = *stored
		*P(&v).at() = origin{Source: sourceDatabase}
	default:
		return errors.New(env.missing(p.kind, name))
	}
	if asJSON {
		return a.printJSON(v)
	}
	p.print(a, v)
	return nil
}

// updated ends update: the changed record of the database, as JSON or for
// people.
func (p printer[V, P]) updated(a *app, env *catalogEnv, asJSON bool, v V) error {
	*P(&v).at() = origin{Source: sourceDatabase}
	if asJSON {
		return a.printJSON(v)
	}
	fmt.Fprintf(a.stdout, "Updated %s %s; %s.\n", p.kind, P(&v).name(), env.pollNote())
	p.print(a, v)
	return nil
}

// added ends add: the record added to the database, as JSON or as one
// line for people naming what it holds (detail, such as "scopes a, b").
func (p printer[V, P]) added(a *app, env *catalogEnv, asJSON bool, v V, detail string) error {
	if asJSON {
		return a.printJSON(v)
	}
	fmt.Fprintf(a.stdout, "Added %s %s (%s) to the %s; %s.\n", p.kind, P(&v).name(), detail, env.where(), env.pollNote())
	return nil
}

// listRecords is list for a kind whose view is its record's alone: the
// database's records (stored, such as storage.Store.ListAPIResources) and
// the configuration's (file).
func listRecords[R, V any, P record[V]](ctx context.Context, a *app, f *catalogFlags, p printer[V, P], view func(R) V,
	stored func(storage.Store, context.Context) ([]R, error), file func(*catalogEnv) []R) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		records, err := stored(db, ctx)
		if err != nil {
			return err
		}
		return p.list(a, env, f.json, viewsOf(records, view), viewsOf(file(env), view))
	})
}

// showRecord is show for a kind whose view is its record's alone: the
// record name of the configuration (file) or of the database (get, such
// as storage.Store.GetAPIResource).
func showRecord[R, V any, P record[V]](ctx context.Context, a *app, f *catalogFlags, p printer[V, P], view func(R) V, name string,
	get func(storage.Store, context.Context, string) (R, error), file func(*catalogEnv, string) (R, bool)) error {
	return a.withCatalog(ctx, f.config, func(env *catalogEnv, db storage.Store) error {
		stored, inDB, err := found(get(db, ctx, name))
		if err != nil {
			return err
		}
		r, inFile := file(env, name)
		return p.show(a, env, f.json, name, some(view(r), inFile), some(view(stored), inDB))
	})
}

// viewsOf makes the views of records.
func viewsOf[R, V any](records []R, view func(R) V) []V {
	out := make([]V, len(records))
	for i, r := range records {
		out[i] = view(r)
	}
	return out
}

// some is v, or nil when there is none.
func some[V any](v V, ok bool) *V {
	if !ok {
		return nil
	}
	return &v
}

// definedIn says where a shown record is defined: its source, or the
// configuration file's path.
func definedIn(source, file string) string {
	if file != "" {
		return "configuration file " + file
	}
	return source
}

// withStore opens the configured store, runs fn and closes the store.
func (a *app) withStore(ctx context.Context, env *catalogEnv, fn func(storage.Store) error) error {
	db, err := a.openCatalogStore(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// removeCmd holds the flags of the remove commands.
type removeCmd struct {
	flags catalogFlags
	yes   bool
	force bool
}

// register registers remove's flags: the configuration's and --yes.
func (c *removeCmd) register(cmd *cobra.Command) {
	c.flags.register(cmd, false)
	cmd.Flags().BoolVar(&c.yes, "yes", false, "do not ask for confirmation")
}

// getter is a removal's get: whether the database has the record name,
// by get (such as storage.Store.GetAPIResource).
func getter[R any](ctx context.Context, name string, get func(storage.Store, context.Context, string) (R, error)) func(storage.Store) error {
	return func(db storage.Store) error {
		_, err := get(db, ctx, name)
		return err
	}
}

// removal is one record of the database to remove.
type removal struct {
	kind, name string // client, orders-worker
	effect     string // what removing it does, for the confirmation; "" for nothing to say
	get, del   func(storage.Store) error
	// alsoFrom, when set and the configuration does not define the name
	// too, finds what else the removal changes: it refuses, or names them
	// ("" for nothing) with the change to make before the record is
	// deleted.
	alsoFrom func(*catalogEnv, storage.Store) (others string, change func() error, err error)
}

// removeRecord removes a client, scope or resource from the database,
// after a confirmation; the file's definition of the same name is never
// touched.
func (a *app) removeRecord(ctx context.Context, c *removeCmd, r removal) error {
	env, err := a.catalogConfig(c.flags.config)
	if err != nil {
		return err
	}
	inFile := env.defines(r.kind, r.name)
	if err := env.writable(); err != nil {
		if inFile {
			return env.definedThere(r.kind, r.name)
		}
		return err
	}
	return a.withStore(ctx, env, func(db storage.Store) error {
		if err := r.get(db); errors.Is(err, storage.ErrNotFound) {
			if inFile {
				return env.definedThere(r.kind, r.name)
			}
			return errors.New(env.missing(r.kind, r.name))
		} else if err != nil {
			return err
		}
		what := fmt.Sprintf("remove %s %s from the database", r.kind, r.name)
		var others string
		var change func() error
		switch {
		case inFile:
			// The file's definition stays: what uses it loses nothing.
			what = fmt.Sprintf("remove the database's %s %s (%s also defines it, and keeps it)", r.kind, r.name, env.cfg.File)
		case r.alsoFrom != nil:
			if others, change, err = r.alsoFrom(env, db); err != nil {
				return err
			}
			if others != "" {
				what += " and from " + others
			}
		}
		if r.effect != "" && !inFile {
			what += ": " + r.effect
		}
		if err := a.confirm(c.yes, what); err != nil {
			return err
		}
		if change != nil {
			if err := change(); err != nil {
				return err
			}
		}
		err := r.del(db)
		if err := storeError(err, fmt.Sprintf("no %s %q in the database (removed meanwhile?)", r.kind, r.name), ""); err != nil {
			return err
		}
		switch {
		case inFile:
			fmt.Fprintf(a.stdout, "Removed %s %s from the database; %s defines it still, and signet serve can start again.\n", r.kind, r.name, env.cfg.File)
		case others != "":
			fmt.Fprintf(a.stdout, "Removed %s %s from %s, and from the database; %s.\n", r.kind, r.name, others, env.pollNote())
		default:
			fmt.Fprintf(a.stdout, "Removed %s %s from the database; %s.\n", r.kind, r.name, env.pollNote())
		}
		return nil
	})
}
