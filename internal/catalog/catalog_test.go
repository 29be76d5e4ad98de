package catalog

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

func fileStatic() Static {
	return Static{
		Clients:   map[string]storage.Client{"app": {ID: "app", Scopes: []string{"api1"}}},
		Scopes:    []string{"api1"},
		Resources: []Resource{{Name: "https://api1.example.com", Scopes: []string{"api1"}}},
	}
}

func dbClient(id string, scopes ...string) storage.Client {
	return storage.Client{
		ID:         id,
		GrantTypes: []string{"client_credentials"},
		Scopes:     scopes,
		Secrets:    []storage.ClientSecret{{ID: "s1", Hash: secret.Hash("a-long-enough-secret-for-tests"), Created: time.Now()}},
	}
}

// dbWith is a memory store holding clients.
func dbWith(t *testing.T, clients ...storage.Client) *memory.Store {
	t.Helper()
	db := memory.New(memory.Options{})
	for _, c := range clients {
		if err := db.CreateClient(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func mustLoad(t *testing.T, c *Catalog) {
	t.Helper()
	if err := c.Load(t.Context()); err != nil {
		t.Fatalf("Load: %v", err)
	}
}

func hasClient(c *Catalog, id string) bool {
	_, err := c.Client(context.Background(), id)
	return err == nil
}

func TestFileOnly(t *testing.T) {
	t.Parallel()
	c := New(fileStatic(), nil, nil)
	if !c.Loaded() {
		t.Error("a catalog without a database is not loaded")
	}
	if err := c.Load(t.Context()); err != nil {
		t.Fatalf("Load without a database: %v", err)
	}
	cl, err := c.Client(t.Context(), "app")
	if err != nil || cl.ID != "app" {
		t.Fatalf("Client(app) = %v, %v", cl, err)
	}
	if _, err := c.Client(t.Context(), "other"); !errors.Is(err, client.ErrUnknown) {
		t.Errorf("Client(other) error %v, want client.ErrUnknown", err)
	}
	if got := c.Resources().ByScope["api1"]; !slices.Equal(got, []string{"https://api1.example.com"}) {
		t.Errorf("ByScope[api1] = %v", got)
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := memory.New(memory.Options{})
	if err := db.CreateAPIScope(ctx, storage.APIScope{Name: "orders"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAPIResource(ctx, storage.APIResource{Name: "https://orders.example.com", Scopes: []string{"orders", "api1"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateClient(ctx, dbClient("svc", "orders")); err != nil {
		t.Fatal(err)
	}
	c := New(fileStatic(), db, nil)
	if c.Loaded() || hasClient(c, "svc") {
		t.Fatal("the database's clients are served before Load")
	}
	if _, err := c.Client(ctx, "svc"); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("an id not in the file before the database is read: %v, want storage.ErrUnavailable (503, not 401)", err)
	}
	if !hasClient(c, "app") {
		t.Fatal("the file's client is not served before Load")
	}
	mustLoad(t, c)
	if !c.Loaded() {
		t.Error("not Loaded after Load")
	}
	cl, err := c.Client(ctx, "svc")
	if err != nil {
		t.Fatalf("Client(svc): %v", err)
	}
	if !slices.Equal(cl.Scopes, []string{"orders"}) || !slices.Equal(cl.GrantTypes, []string{"client_credentials"}) || len(cl.Secrets) != 1 {
		t.Errorf("svc = %+v", cl)
	}
	if !cl.Secrets[0].Hash.Verify("a-long-enough-secret-for-tests") {
		t.Error("the stored hash does not verify its secret")
	}
	scopes, version := c.Scopes()
	if !slices.Equal(scopes, append([]string{"api1", "orders"}, builtInScopes...)) {
		t.Errorf("Scopes = %v, want the file's then the database's", scopes)
	}
	// A database resource may hold a file's scope: both are its audience.
	if got := c.Resources().ByScope["api1"]; !slices.Equal(got, []string{"https://api1.example.com", "https://orders.example.com"}) {
		t.Errorf("ByScope[api1] = %v", got)
	}

	// A change moves the version; Load picks it up.
	if err := db.DeleteClient(ctx, "svc"); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, c)
	if hasClient(c, "svc") {
		t.Error("a deleted client is still served after Load")
	}
	if _, v := c.Scopes(); v == version {
		t.Errorf("the version did not change with the catalog (%d)", v)
	}
}

// A client id, scope or resource in both places is an error that names
// each, and the file's definition is the one served.
func TestConflict(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := memory.New(memory.Options{})
	for _, err := range []error{
		db.CreateClient(ctx, dbClient("app", "orders")),
		db.CreateClient(ctx, dbClient("svc", "orders")),
		db.CreateAPIScope(ctx, storage.APIScope{Name: "api1"}),
		db.CreateAPIResource(ctx, storage.APIResource{Name: "https://api1.example.com", Scopes: []string{"orders"}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	file := fileStatic()
	c := New(file, db, nil)
	err := c.Load(ctx)
	var conflict *ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("Load = %v, want a *ConflictError", err)
	}
	want := []string{`client "app"`, `resource "https://api1.example.com"`, `scope "api1"`}
	if !slices.Equal(conflict.Conflicts, want) {
		t.Errorf("conflicts %q, want %q", conflict.Conflicts, want)
	}
	for _, w := range []string{"signet client remove ID", "delete it from the file"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say what to do (%q): %v", w, err)
		}
	}
	if cl, _ := c.Client(ctx, "app"); cl == nil || !slices.Equal(cl.Scopes, file.Clients["app"].Scopes) {
		t.Errorf("app is %+v: the database's definition is served, not the file's", cl)
	}
	if !hasClient(c, "svc") {
		t.Error("what does not conflict is not loaded")
	}
	if got := c.Resources().ByScope["orders"]; len(got) != 0 {
		t.Errorf("the database's conflicting resource is used: ByScope[orders] = %v", got)
	}
	if scopes, _ := c.Scopes(); !slices.Equal(scopes, append([]string{"api1"}, builtInScopes...)) {
		t.Errorf("Scopes = %v: a conflicting scope is listed twice", scopes)
	}
}

func TestUnusableClientSkipped(t *testing.T) {
	t.Parallel()
	bad := dbClient("bad")
	bad.JWKS = []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`)
	db := dbWith(t, bad, dbClient("good"))
	var logs strings.Builder
	c := New(Static{}, db, newTextLogger(&logs))
	mustLoad(t, c)
	if hasClient(c, "bad") || !hasClient(c, "good") {
		t.Errorf("bad served %v, good served %v: want only good", hasClient(c, "bad"), hasClient(c, "good"))
	}
	if !strings.Contains(logs.String(), "client_id=bad") {
		t.Errorf("the unusable client is not logged:\n%s", logs.String())
	}
}

// pushStore is a store that pushes changes, counting its version reads.
type pushStore struct {
	*memory.Store
	ch    chan struct{}
	reads atomic.Int64
	// limit, when set, stops a watcher that reads the version without
	// end: past limit reads, a read waits for the watcher's end.
	limit int64
}

func (p *pushStore) ConfigVersion(ctx context.Context) (int64, error) {
	if n := p.reads.Add(1); p.limit > 0 && n > p.limit {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return p.Store.ConfigVersion(ctx)
}

func (p *pushStore) WatchConfig(context.Context) (<-chan struct{}, error) { return p.ch, nil }

func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, nil))
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWatchPolls(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db := memory.New(memory.Options{})
	c := New(Static{}, db, nil)
	mustLoad(t, c)
	go c.Watch(ctx, 10*time.Millisecond)
	if err := db.CreateClient(ctx, dbClient("svc")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a new client is served", func() bool { return hasClient(c, "svc") })
	if err := db.DeleteClient(ctx, "svc"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a deleted client is refused", func() bool { return !hasClient(c, "svc") })
}

// A push reloads at once, long before the poll interval; once the push
// channel closes (the store closed), the watcher polls, and no more. The
// bubble's clock is fake: "at once" is before it moves, and the polls of
// three hours take no time.
func TestWatchPushed(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		db := &pushStore{Store: memory.New(memory.Options{}), ch: make(chan struct{}, 1), limit: 1000}
		c := New(Static{}, db, nil)
		mustLoad(t, c)
		go c.Watch(ctx, time.Hour)
		synctest.Wait()
		start := time.Now()
		if err := db.CreateClient(ctx, dbClient("svc")); err != nil {
			t.Fatal(err)
		}
		db.ch <- struct{}{}
		synctest.Wait()
		if !hasClient(c, "svc") || time.Since(start) != 0 {
			t.Fatalf("a pushed change: served %v after %v, want at once", hasClient(c, "svc"), time.Since(start))
		}

		before := db.reads.Load()
		close(db.ch)
		synctest.Wait()
		time.Sleep(3*time.Hour + time.Minute)
		synctest.Wait()
		if n := db.reads.Load() - before; n != 3 {
			t.Errorf("%d version reads in the three hours after the push channel closed, want 3 (one per poll): a watcher that spins on the closed channel reads without end", n)
		}
	})
}

// A database unreachable at startup (storage.Deferred) is read once it
// answers.
func TestWatchDeferred(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	d := storage.NewDeferred(errors.New("connection refused"))
	c := New(Static{}, d, nil)
	if err := c.Load(ctx); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("Load before the database answers: %v, want storage.ErrUnavailable", err)
	}
	if c.Loaded() {
		t.Fatal("Loaded before the database answered")
	}
	go c.Watch(ctx, 10*time.Millisecond)
	db := &pushStore{Store: memory.New(memory.Options{}), ch: make(chan struct{}, 1)}
	if err := db.CreateClient(ctx, dbClient("svc")); err != nil {
		t.Fatal(err)
	}
	d.Set(db)
	eventually(t, "the database's clients once it answers", func() bool { return c.Loaded() && hasClient(c, "svc") })
}

// The file's clients are records, made into the token path's clients as
// the database's are: enabled or not, their CORS origins, their claims; one
// that cannot be used is logged and left out.
func TestFileClientsAsRecords(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	svc := dbClient("svc")
	svc.CORSOrigins = []string{"https://db.example.com"}
	db := dbWith(t, svc)
	app := dbClient("app")
	app.CORSOrigins, app.Claims = []string{"https://app.example.com"}, []byte(`{"client_tenant":"contoso"}`)
	off := dbClient("off")
	off.Disabled, off.CORSOrigins = true, []string{"https://off.example.com"}
	bad := dbClient("bad")
	bad.Secrets[0].Hash = "not-a-hash"
	var logs strings.Builder
	c := New(Static{Clients: map[string]storage.Client{"app": app, "off": off, "bad": bad}}, db, newTextLogger(&logs))
	mustLoad(t, c)

	cl, err := c.Client(ctx, "app")
	if err != nil || string(cl.Claims) != `{"client_tenant":"contoso"}` || !cl.Secrets[0].Hash.Verify("a-long-enough-secret-for-tests") {
		t.Errorf("Client(app) = %+v, %v", cl, err)
	}
	if _, err := c.Client(ctx, "off"); !errors.Is(err, client.ErrDisabled) {
		t.Errorf("a disabled file client: %v, want client.ErrDisabled", err)
	}
	for origin, want := range map[string]bool{"https://app.example.com": true, "https://db.example.com": true, "https://off.example.com": false} {
		if got := c.AllowedOrigin(origin); got != want {
			t.Errorf("AllowedOrigin(%s) = %v, want %v", origin, got, want)
		}
	}
	if hasClient(c, "bad") || !strings.Contains(logs.String(), "client_id=bad") {
		t.Errorf("a file client that cannot be used: served %v, logged:\n%s", hasClient(c, "bad"), logs.String())
	}
}
