// Package catalog keeps the clients and resources the token path needs in
// memory: those of the configuration file and those of the database, side
// by side. The token path reads only the in-memory snapshot; the database
// is read again when its configuration version changes, which every
// instance notices within the poll interval (sooner with PostgreSQL, which
// notifies).
//
// The identity resources (the built-in ones of internal/claims, and custom
// ones of the file and of the database) are merged the same way, into one
// claims.Resources per snapshot, and the scopes discovery lists and the
// consent page describes (ScopeInfo) are those of both kinds.
//
// A client id, scope, resource or identity resource name defined both in
// the file and in the database is an error, never a silent winner: at startup it stops the
// server; found later (added through another instance), the file's
// definition is kept, the database's is ignored, and an error is logged
// until one of them is removed.
//
// The rules a change to the database's clients, scopes and resources keeps
// (rules.go) are here too, for signet client|scope|resource and any other
// interface that makes such a change.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// Store is what the catalog reads of the database.
type Store interface {
	ListClients(ctx context.Context) ([]storage.Client, error)
	ListAPIScopes(ctx context.Context) ([]storage.APIScope, error)
	ListAPIResources(ctx context.Context) ([]storage.APIResource, error)
	ListIdentityResources(ctx context.Context) ([]storage.IdentityResource, error)
	ConfigVersion(ctx context.Context) (int64, error)
}

// Static is what the configuration file defines.
type Static struct {
	// Clients are the file's clients as records, by id: the catalog makes
	// the token path's clients of them as of the database's
	// (client.FromRecord).
	Clients   map[string]storage.Client
	Scopes    []string
	Resources []Resource
	// ScopeTexts are what the consent page says of the file's API scopes,
	// by name (display name, description, required, emphasize).
	ScopeTexts map[string]ScopeInfo
	// IdentityResources are the file's custom identity resources, enabled
	// and checked by claims.New's rules (the built-in ones are not listed).
	IdentityResources []IdentityResource
	// IssuerConfigured is whether the file sets issuer: without one, the
	// token path refuses private_key_jwt, and Load logs the database's
	// clients that use it.
	IssuerConfigured bool
}

// Resource is an API resource of the file, as the record the database
// would hold for it: its scopes, and its credentials at the introspection
// endpoint (secrets hashed, keys encoded).
type Resource = storage.APIResource

// APIResource is an API resource as the introspection endpoint needs it.
type APIResource struct {
	Name   string
	Scopes []string
	// JWTResponse: its introspection answers are signed (RFC 9701).
	JWTResponse bool
	// Client is its credentials as client authentication reads a
	// client's (client.FromRecord of its secrets and keys; ID its name).
	Client *client.Client
}

// IdentityResource is a custom identity resource of the file: the record,
// and what the consent page does with it, which the database does not keep.
type IdentityResource struct {
	storage.IdentityResource
	Required, Emphasize bool
}

// ScopeInfo is what the consent page shows of a scope.
type ScopeInfo struct {
	Name        string
	DisplayName string
	Description string
	// Required scopes cannot be unticked; Emphasize ones are shown as
	// sensitive.
	Required  bool
	Emphasize bool
	// Identity is true for an identity resource (a scope of user claims),
	// false for an API scope.
	Identity bool
}

// Catalog is the merged, cached view. It is safe for concurrent use.
type Catalog struct {
	static Static
	// files are the file's clients as the token path uses them.
	files  map[string]*client.Client
	store  Store // nil: the file alone
	logger *slog.Logger
	snap   atomic.Pointer[snapshot]
}

type snapshot struct {
	clients map[string]*client.Client
	// origins are the browser origins of the enabled clients.
	origins   map[string]bool
	resources tokens.Resources
	// apis are the API resources by name, for the introspection endpoint.
	apis map[string]*APIResource
	// identity holds the identity resources, built-in and custom, built
	// once per snapshot; scopes are every known scope (API and identity),
	// for discovery; info what the consent page shows of each.
	identity  *claims.Resources
	scopes    []string
	info      map[string]ScopeInfo
	version   int64
	loaded    bool // the database was read (false: file only, so far)
	conflicts []string
}

// New makes a catalog of the file's definitions; Load adds the database's.
func New(static Static, store Store, logger *slog.Logger) *Catalog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{static: static, files: make(map[string]*client.Client, len(static.Clients)), store: store, logger: logger}
	for id, rec := range static.Clients {
		cl, err := client.FromRecord(rec)
		if err != nil {
			// Never, after serve's checks of the file: the client is
			// left out, as a database's would be.
			logger.Error("a client in the configuration file cannot be used", logattr.String("client_id", id), logattr.Text("error", err.Error()))
			continue
		}
		c.files[id] = cl
	}
	c.snap.Store(c.merge(nil, nil, nil, nil, 0, false))
	return c
}

// ConflictError lists what both the file and the database define.
type ConflictError struct{ Conflicts []string }

func (e *ConflictError) Error() string {
	return "defined both in the configuration file and in the database: " + strings.Join(e.Conflicts, "; ") +
		": remove one of each (signet client remove ID, signet scope remove NAME, signet resource remove NAME; or delete it from the file)"
}

// Load reads the database and replaces the snapshot. It returns a
// *ConflictError (after loading what does not conflict) when the file and
// the database define the same thing.
func (c *Catalog) Load(ctx context.Context) error {
	if c.store == nil {
		return nil
	}
	version, err := c.store.ConfigVersion(ctx)
	if err != nil {
		return err
	}
	clients, err := c.store.ListClients(ctx)
	if err != nil {
		return err
	}
	scopes, err := c.store.ListAPIScopes(ctx)
	if err != nil {
		return err
	}
	resources, err := c.store.ListAPIResources(ctx)
	if err != nil {
		return err
	}
	identity, err := c.store.ListIdentityResources(ctx)
	if err != nil {
		return err
	}
	snap := c.merge(clients, scopes, resources, identity, version, true)
	c.snap.Store(snap)
	c.checkKeyClients(clients, snap)
	if len(snap.conflicts) > 0 {
		return &ConflictError{Conflicts: snap.conflicts}
	}
	return nil
}

// merge builds a snapshot: the file's definitions, then the database's
// where they do not collide.
func (c *Catalog) merge(clients []storage.Client, scopes []storage.APIScope, resources []storage.APIResource, identity []storage.IdentityResource, version int64, loaded bool) *snapshot {
	s := &snapshot{clients: make(map[string]*client.Client, len(c.files)+len(clients)), version: version, loaded: loaded}
	for id, cl := range c.files {
		s.clients[id] = cl
	}
	for _, sc := range clients {
		if _, dup := c.static.Clients[sc.ID]; dup {
			s.conflicts = append(s.conflicts, fmt.Sprintf("client %q", logattr.Cut(sc.ID)))
			continue
		}
		gc, err := client.FromRecord(sc)
		if err != nil {
			c.logger.Error("a client in the database cannot be used", logattr.String("client_id", sc.ID), logattr.Text("error", err.Error()))
			continue
		}
		s.clients[sc.ID] = gc
	}
	for _, cl := range s.clients {
		if cl.Disabled {
			continue
		}
		for _, o := range cl.CORSOrigins {
			if s.origins == nil {
				s.origins = make(map[string]bool)
			}
			s.origins[o] = true
		}
	}
	s.info = make(map[string]ScopeInfo)
	s.resources.Scopes = append([]string(nil), c.static.Scopes...)
	for _, name := range c.static.Scopes {
		info := c.static.ScopeTexts[name]
		info.Name, info.Identity = name, false
		s.info[name] = info
	}
	for _, sc := range scopes {
		if slices.Contains(c.static.Scopes, sc.Name) {
			s.conflicts = append(s.conflicts, fmt.Sprintf("scope %q", logattr.Cut(sc.Name)))
			continue
		}
		s.resources.Scopes = append(s.resources.Scopes, sc.Name)
		s.info[sc.Name] = ScopeInfo{Name: sc.Name, DisplayName: sc.DisplayName, Description: sc.Description}
	}
	c.mergeIdentity(s, identity)
	s.resources.ByScope = map[string][]string{}
	add := func(name string, scopes []string) {
		for _, sc := range scopes {
			s.resources.ByScope[sc] = append(s.resources.ByScope[sc], name)
		}
	}
	fileResources := map[string]bool{}
	s.apis = make(map[string]*APIResource, len(c.static.Resources)+len(resources))
	for _, r := range c.static.Resources {
		fileResources[r.Name] = true
		add(r.Name, r.Scopes)
		c.addAPI(s, r, "configuration file")
	}
	for _, r := range resources {
		if fileResources[r.Name] {
			s.conflicts = append(s.conflicts, fmt.Sprintf("resource %q", logattr.Cut(r.Name)))
			continue
		}
		add(r.Name, r.Scopes)
		c.addAPI(s, r, "database")
	}
	sort.Strings(s.conflicts)
	return s
}

// mergeIdentity builds the snapshot's identity resources: the built-in
// ones, the file's, and the database's that neither collide with the
// file's (a conflict) nor break claims.New's rules (logged and left out:
// signet resource refuses them, but another version may have written
// them).
func (c *Catalog) mergeIdentity(s *snapshot, identity []storage.IdentityResource) {
	custom := make([]storage.IdentityResource, 0, len(c.static.IdentityResources)+len(identity))
	flags := map[string]IdentityResource{}
	for _, r := range c.static.IdentityResources {
		custom = append(custom, r.IdentityResource)
		flags[r.Name] = r
	}
	for _, r := range identity {
		if _, dup := flags[r.Name]; dup {
			s.conflicts = append(s.conflicts, fmt.Sprintf("identity resource %q", logattr.Cut(r.Name)))
			continue
		}
		if _, err := claims.New([]storage.IdentityResource{r}); err != nil {
			c.logger.Error("an identity resource in the database cannot be used", logattr.String("name", r.Name), logattr.Text("error", err.Error()))
			continue
		}
		if _, api := s.info[r.Name]; api {
			c.logger.Error("an identity resource in the database has the name of an API scope, and is left out: a scope name means one of them", logattr.String("name", r.Name))
			continue
		}
		custom = append(custom, r)
	}
	rs, err := claims.New(custom)
	if err != nil {
		// Never: the file's were checked by serve, the database's above.
		c.logger.Error("the custom identity resources cannot be used; only the built-in ones are served", logattr.Text("error", err.Error()))
		rs, _ = claims.New(nil)
	}
	s.identity = rs
	s.scopes = slices.Clone(s.resources.Scopes)
	for _, r := range rs.List() {
		if _, api := s.info[r.Name]; api {
			continue
		}
		f := flags[r.Name]
		s.info[r.Name] = ScopeInfo{Name: r.Name, DisplayName: r.DisplayName, Description: r.Description,
			Required: r.Required || f.Required, Emphasize: r.Emphasize || f.Emphasize, Identity: true}
		s.scopes = append(s.scopes, r.Name)
	}
}

// checkKeyClients logs, once per load, the database's clients that
// authenticate with private_key_jwt when no issuer is configured: they are
// loaded, and the token path refuses them (the file's are refused at
// startup; signet client refuses to add them, but the configuration may
// have lost its issuer since, or another instance's has one).
func (c *Catalog) checkKeyClients(clients []storage.Client, snap *snapshot) {
	if c.static.IssuerConfigured {
		return
	}
	var ids []string
	for _, sc := range clients {
		if _, inFile := c.static.Clients[sc.ID]; inFile {
			continue
		}
		if gc, ok := snap.clients[sc.ID]; ok && gc.UsesKeys() {
			ids = append(ids, sc.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	sort.Strings(ids)
	c.logger.Error("clients in the database authenticate with private_key_jwt, which needs a configured issuer: their token requests are refused until issuer is set to the URL clients use (such as https://auth.example.com) and signet restarted",
		slog.Int("clients", len(ids)), logattr.Text("client_ids", strings.Join(ids, " ")))
}

// Client implements clientauth.Clients from the snapshot: no database read.
// Until the database has been read (it was unreachable at startup), an id
// the file does not define may be the database's: the answer is
// storage.ErrUnavailable (503, retry), not "unknown client" (401, which a
// client may take for revoked credentials).
func (c *Catalog) Client(_ context.Context, id string) (*client.Client, error) {
	s := c.snap.Load()
	if cl, ok := s.clients[id]; ok {
		if cl.Disabled {
			return nil, client.ErrDisabled
		}
		return cl, nil
	}
	if c.store != nil && !s.loaded {
		return nil, fmt.Errorf("%w: clients not read from the database yet", storage.ErrUnavailable)
	}
	return nil, client.ErrUnknown
}

// addAPI adds r to the snapshot's API resources; one whose secrets or keys
// cannot be read is logged and left out (it cannot introspect), as a
// client would be.
func (c *Catalog) addAPI(s *snapshot, r storage.APIResource, from string) {
	cl, err := client.FromRecord(storage.Client{ID: r.Name, Secrets: r.Secrets, JWKS: r.JWKS, JWKSURI: r.JWKSURI})
	if err != nil {
		c.logger.Error("an API resource in the "+from+" cannot authenticate at the introspection endpoint", logattr.String("resource", r.Name), logattr.Text("error", err.Error()))
		cl = nil
	}
	s.apis[r.Name] = &APIResource{Name: r.Name, Scopes: r.Scopes, JWTResponse: r.IntrospectionResponse == storage.IntrospectionJWT, Client: cl}
}

// APIResource returns the API resource named name from the snapshot (no
// database read), for the introspection endpoint: an error wrapping
// client.ErrUnknown when there is none, storage.ErrUnavailable until the
// database has been read (as Client).
func (c *Catalog) APIResource(_ context.Context, name string) (*APIResource, error) {
	s := c.snap.Load()
	if r, ok := s.apis[name]; ok {
		return r, nil
	}
	if c.store != nil && !s.loaded {
		return nil, fmt.Errorf("%w: API resources not read from the database yet", storage.ErrUnavailable)
	}
	return nil, fmt.Errorf("API resource %q: %w", name, client.ErrUnknown)
}

// Clients are the clients now, the file's and the database's, by id.
func (c *Catalog) Clients() []*client.Client {
	clients := c.snap.Load().clients
	list := make([]*client.Client, 0, len(clients))
	for _, cl := range clients {
		list = append(list, cl)
	}
	slices.SortFunc(list, func(a, b *client.Client) int { return strings.Compare(a.ID, b.ID) })
	return list
}

// AllowedOrigin reports whether a browser origin may call the token
// endpoint: an enabled client lists it in its AllowedCorsOrigins.
func (c *Catalog) AllowedOrigin(origin string) bool { return c.snap.Load().origins[origin] }

// Resources returns the scopes and resources now.
func (c *Catalog) Resources() tokens.Resources { return c.snap.Load().resources }

// Scopes returns the known scopes, API scopes and then identity scopes
// (built-in and custom), and a version that changes with them, for the
// discovery document's scopes_supported and its cache.
func (c *Catalog) Scopes() ([]string, int64) {
	s := c.snap.Load()
	return s.scopes, s.version
}

// IdentityResources returns the identity resources now, built-in and
// custom: built once per snapshot, so callers may use it per request.
func (c *Catalog) IdentityResources() *claims.Resources { return c.snap.Load().identity }

// ScopeInfo returns what the consent page shows of the scope name: an API
// scope's or an identity resource's display name, description and flags.
func (c *Catalog) ScopeInfo(name string) (ScopeInfo, bool) {
	info, ok := c.snap.Load().info[name]
	return info, ok
}

// KnownScope reports whether name is an API scope or an identity resource.
func (c *Catalog) KnownScope(name string) bool {
	_, ok := c.snap.Load().info[name]
	return ok
}

// Loaded reports whether the database has been read.
func (c *Catalog) Loaded() bool { return c.store == nil || c.snap.Load().loaded }

// Watch keeps the snapshot current until ctx is done: it polls the
// configuration version every interval, and reloads at once when the store
// can push changes (storage.ConfigWatcher). A store that cannot push yet
// (the database was unreachable at startup) is asked again at each poll.
// Failures are logged, and the last snapshot keeps serving.
func (c *Catalog) Watch(ctx context.Context, interval time.Duration) {
	if c.store == nil {
		return
	}
	var watch func(context.Context) (<-chan struct{}, error)
	if w, ok := c.store.(storage.ConfigWatcher); ok {
		watch = w.WatchConfig
	}
	pushed := storage.Subscribe(ctx, watch, func(err error) {
		c.logger.Debug("no change notifications from the database; polling only", slog.String("error", err.Error()))
	})
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			pushed.Ask(ctx)
		case _, ok := <-pushed.C:
			if !ok { // the store closed: poll only
				pushed.Closed()
				continue
			}
		}
		c.refresh(ctx)
	}
}

// refresh reloads when the version moved, or when the database was never
// read (it was down at startup).
func (c *Catalog) refresh(ctx context.Context) {
	cur := c.snap.Load()
	if cur.loaded {
		v, err := c.store.ConfigVersion(ctx)
		if err != nil {
			c.logger.Debug("configuration version unavailable", slog.String("error", err.Error()))
			return
		}
		if v == cur.version {
			return
		}
	}
	err := c.Load(ctx)
	var conflict *ConflictError
	switch {
	case errors.As(err, &conflict):
		c.logger.Error("the file's definitions are kept, the database's ignored", logattr.Text("error", err.Error()))
	case err != nil:
		c.logger.Warn("could not read clients and resources from the database; the last ones read keep serving", slog.String("error", err.Error()))
	default:
		c.logger.Info("clients and resources reloaded", slog.Int64("version", c.snap.Load().version), slog.Int("clients", len(c.snap.Load().clients)))
	}
}
