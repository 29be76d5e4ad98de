package authorize

import (
	"context"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/storage"
)

var pendingBase = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// eachPendingStore runs f on two handles of one fresh store of each backend
// (PostgreSQL when SIGNET_TEST_POSTGRES_DSN is set), as two instances of
// Signet would use it, with a Pending over each and the clock clk, which
// starts at pendingBase.
func eachPendingStore(t *testing.T, f func(t *testing.T, db storage.Store, p [2]*Pending, clk *testsupport.Clock)) {
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := testsupport.NewClock(pendingBase)
			dbs := b.Open(t, clk.Now, 2)
			f(t, dbs[0], [2]*Pending{NewPending(dbs[0], 0), NewPending(dbs[1], 0)}, clk)
		})
	}
}

// validated is the request of query, parsed and validated.
func validated(t *testing.T, query string) *Request {
	t.Helper()
	req := parseGet(t, query)
	if err := validator().Validate(t.Context(), issuer, req); err != nil {
		t.Fatalf("Validate(%s): %v", query, err)
	}
	return req
}

func newID(t *testing.T) string {
	t.Helper()
	id, err := opaque.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustSave(t *testing.T, p *Pending, req *Request, now time.Time) string {
	t.Helper()
	id, err := p.Save(t.Context(), req, now)
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	if !opaque.Valid(id) {
		t.Fatalf("Save returned the id %q, which Load would refuse", id)
	}
	return id
}

// Every field of a validated request comes back as it was saved, on the
// other instance too; only Client is left for the caller to look up again.
func TestPendingRoundTrip(t *testing.T) {
	t.Parallel()
	full := everyParameter().Encode()
	cases := map[string]string{
		"every field": full,
		// No redirect_uri sent (the client's only one is used), no PKCE,
		// max_age=0 (sent, and zero), prompt=none, plain OAuth 2.0.
		"minimal":    "response_type=code&client_id=legacy&scope=profile&max_age=0&prompt=none",
		"plain PKCE": "response_type=code&client_id=legacy&scope=profile&code_challenge=" + challenge + "&code_challenge_method=plain",
	}
	eachPendingStore(t, func(t *testing.T, db storage.Store, p [2]*Pending, clk *testsupport.Clock) {
		for name, query := range cases {
			want := validated(t, query)
			id := mustSave(t, p[0], want, clk.Now())
			want.Client = nil
			for i, op := range []func(context.Context, string, time.Time) (*Request, error){p[1].Load, p[0].Load, p[1].Complete} {
				got, err := op(t.Context(), id, clk.Now())
				if err != nil {
					t.Fatalf("%s: step %d: %v", name, i, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: step %d:\n got %+v\nwant %+v", name, i, got, want)
				}
			}
		}
		if want := validated(t, full); !want.RedirectURISent || !want.HasMaxAge || !want.OpenID || want.Claims == nil {
			t.Errorf("the full case does not set every field: %+v", want)
		}
		// Stored as an authorization_request grant of the client, under a
		// hash: never the id itself.
		gs, err := db.ListGrants(t.Context(), storage.PersistedGrantFilter{ClientID: "web", Type: storage.GrantAuthorizationRequest}, clk.Now())
		if err != nil || len(gs) != 1 {
			t.Fatalf("ListGrants = %+v, %v; want the one request of web", gs, err)
		}
		if g := gs[0]; !g.Created.Equal(pendingBase) || !g.Expires.Equal(pendingBase.Add(DefaultPendingLifetime)) || g.Subject != "" {
			t.Errorf("grant %+v: want created now, expiring in %v, no subject", g, DefaultPendingLifetime)
		}
	})
}

// Each Save makes a new id of 256 bits, even for the same request.
func TestPendingIDsDiffer(t *testing.T) {
	t.Parallel()
	eachPendingStore(t, func(t *testing.T, db storage.Store, p [2]*Pending, clk *testsupport.Clock) {
		req := validated(t, "response_type=code&client_id=legacy&scope=profile")
		a, b := mustSave(t, p[0], req, clk.Now()), mustSave(t, p[0], req, clk.Now())
		if a == b {
			t.Errorf("two Saves gave the same id %q", a)
		}
		if raw, err := base64.RawURLEncoding.DecodeString(a); err != nil || len(raw)*8 < 256 {
			t.Errorf("id %q: %d bits, %v; want at least 256", a, len(raw)*8, err)
		}
	})
}

func TestPendingExpiry(t *testing.T) {
	t.Parallel()
	eachPendingStore(t, func(t *testing.T, db storage.Store, p [2]*Pending, clk *testsupport.Clock) {
		ctx := t.Context()
		req := validated(t, "response_type=code&client_id=legacy&scope=profile")
		for _, tc := range []struct {
			saver, loader *Pending
			lifetime      time.Duration
		}{
			{NewPending(db, time.Minute), p[1], time.Minute}, // the lifetime is the saver's, stored with the request
			{p[0], p[1], DefaultPendingLifetime},
		} {
			clk.Set(pendingBase)
			id := mustSave(t, tc.saver, req, clk.Now())
			clk.Set(pendingBase.Add(tc.lifetime - time.Millisecond))
			if _, err := tc.loader.Load(ctx, id, clk.Now()); err != nil {
				t.Errorf("Load just before a lifetime of %v ends: %v", tc.lifetime, err)
			}
			clk.Set(pendingBase.Add(tc.lifetime))
			if _, err := tc.loader.Load(ctx, id, clk.Now()); !errors.Is(err, ErrNotFound) {
				t.Errorf("Load when a lifetime of %v ends: %v, want ErrNotFound", tc.lifetime, err)
			}
			if _, err := tc.loader.Complete(ctx, id, clk.Now()); !errors.Is(err, ErrNotFound) {
				t.Errorf("Complete after a lifetime of %v: %v, want ErrNotFound", tc.lifetime, err)
			}
		}
	})
}

// A request is completed once: a second completion, on either instance,
// and a Load after it fail with ErrCompleted; of two concurrent ones,
// exactly one succeeds.
func TestPendingCompleteOnce(t *testing.T) {
	t.Parallel()
	eachPendingStore(t, func(t *testing.T, db storage.Store, p [2]*Pending, clk *testsupport.Clock) {
		ctx := t.Context()
		req := validated(t, "response_type=code&client_id=legacy&scope=profile&state=xyz")
		id := mustSave(t, p[0], req, clk.Now())
		if got, err := p[0].Complete(ctx, id, clk.Now()); err != nil || got.State != "xyz" {
			t.Fatalf("Complete = %+v, %v", got, err)
		}
		clk.Advance(time.Second)
		for i, op := range []func(context.Context, string, time.Time) (*Request, error){p[0].Complete, p[1].Complete, p[1].Load} {
			got, err := op(ctx, id, clk.Now())
			if !errors.Is(err, ErrCompleted) || got != nil {
				t.Errorf("step %d after completion: %+v, %v; want ErrCompleted", i, got, err)
			}
		}
		if err := error(ErrCompleted); !strings.Contains(err.Error(), "start again from the application") {
			t.Errorf("ErrCompleted does not say what to do: %q", err)
		}

		id = mustSave(t, p[0], req, clk.Now())
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range p {
			wg.Go(func() { _, errs[i] = p[i].Complete(ctx, id, clk.Now()) })
		}
		wg.Wait()
		ok, completed := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrCompleted):
				completed++
			default:
				t.Errorf("concurrent Complete: %v", err)
			}
		}
		if ok != 1 || completed != 1 {
			t.Errorf("concurrent Completes: %v; want one success and one ErrCompleted", errs)
		}
	})
}

// Ids that Save could not have made are "not found" before the store is
// asked, whatever they hold; a well-formed unknown id is not found by the
// store.
func TestPendingGarbageIDs(t *testing.T) {
	t.Parallel()
	eachPendingStore(t, func(t *testing.T, db storage.Store, p [2]*Pending, clk *testsupport.Clock) {
		id := mustSave(t, p[0], validated(t, "response_type=code&client_id=legacy&scope=profile"), clk.Now())
		for _, bad := range []string{
			"", "x", id[:len(id)-1], id + "A", id + "=", strings.Repeat("A", 42) + "B", // non-zero padding bits
			strings.Repeat("!", len(id)), strings.Repeat("é", len(id)/2), "../../etc/passwd", strings.Repeat("A", 1<<16),
			strings.ToUpper(id[:1]) + strings.Repeat("A", len(id)-1), "\x00" + id[1:],
			strings.Repeat("A", len(id)), // well-formed, never saved
			opaque.Key(id),               // the stored key is no id
		} {
			for i, op := range []func(context.Context, string, time.Time) (*Request, error){p[0].Load, p[1].Complete} {
				if got, err := op(t.Context(), bad, clk.Now()); !errors.Is(err, ErrNotFound) || got != nil {
					t.Errorf("op %d on id %.50q: %+v, %v; want ErrNotFound", i, bad, got, err)
				}
			}
		}
		if _, err := p[0].Load(t.Context(), id, clk.Now()); err != nil {
			t.Errorf("the real id after the garbage: %v", err)
		}
	})
}

// A grant under the id's key that is not a request this version wrote is
// an error that says so, never a request read wrong.
func TestPendingUnreadable(t *testing.T) {
	t.Parallel()
	eachPendingStore(t, func(t *testing.T, db storage.Store, p [2]*Pending, clk *testsupport.Clock) {
		for _, tc := range []struct {
			name, typ, data, want string
		}{
			{"version", storage.GrantAuthorizationRequest, `{"v":2}`, "data version 2, which this version of Signet does not read (it writes 1)"},
			{"json", storage.GrantAuthorizationRequest, `{"v":`, "read the stored sign-in request of client \"legacy\""},
			{"type", storage.GrantAuthorizationCode, `{"v":1}`, `a grant of type "authorization_code"`},
		} {
			id := newID(t)
			g := storage.PersistedGrant{Key: opaque.Key(id), Type: tc.typ, ClientID: "legacy", Created: clk.Now(),
				Expires: clk.Now().Add(time.Minute), Data: []byte(tc.data)}
			if err := db.CreateGrant(t.Context(), g); err != nil {
				t.Fatal(err)
			}
			if _, err := p[1].Load(t.Context(), id, clk.Now()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: Load: %v; want an error containing %q", tc.name, err, tc.want)
			}
		}
	})
}

// fakePendingStore is a PendingStore whose methods are its fields.
type fakePendingStore struct {
	create func(context.Context, storage.PersistedGrant) error
	get    func(context.Context, string, time.Time) (storage.PersistedGrant, error)
}

func (f fakePendingStore) CreateGrant(ctx context.Context, g storage.PersistedGrant) error {
	return f.create(ctx, g)
}

func (f fakePendingStore) GetGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	return f.get(ctx, key, now)
}

func (f fakePendingStore) ConsumeGrant(ctx context.Context, key string, now time.Time) (storage.PersistedGrant, error) {
	return f.get(ctx, key, now)
}

// A failing store is an error that wraps the store's (a server error),
// not "not found"; an unvalidated request is not saved.
func TestPendingRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	down := errors.New("database is down")
	p := NewPending(fakePendingStore{
		create: func(context.Context, storage.PersistedGrant) error { return down },
		get: func(context.Context, string, time.Time) (storage.PersistedGrant, error) {
			return storage.PersistedGrant{}, down
		},
	}, 0)
	req := validated(t, "response_type=code&client_id=legacy&scope=profile")
	if _, err := p.Save(ctx, req, pendingBase); !errors.Is(err, down) || !strings.Contains(err.Error(), `save the request of client "legacy"`) {
		t.Errorf("Save on a failing store: %v", err)
	}
	id := newID(t)
	for i, op := range []func(context.Context, string, time.Time) (*Request, error){p.Load, p.Complete} {
		if _, err := op(ctx, id, pendingBase); !errors.Is(err, down) || errors.Is(err, ErrNotFound) {
			t.Errorf("op %d on a failing store: %v; want the store's error", i, err)
		}
	}
	for name, r := range map[string]*Request{
		"not validated": parseGet(t, "response_type=code&client_id=legacy&scope=profile"),
		"a problem":     parseGet(t, "response_type=token&client_id=legacy"),
	} {
		if name == "a problem" {
			r.Client = req.Client
		}
		if id, err := p.Save(ctx, r, pendingBase); err == nil || id != "" {
			t.Errorf("Save of a request with %s: %q, %v; want an error", name, id, err)
		}
	}
}

// FuzzPendingID: any id is refused or accepted by its syntax alone,
// without a panic; one accepted is exactly the shape Save makes, and
// Load of a refused one is ErrNotFound without asking the store.
func FuzzPendingID(f *testing.F) {
	f.Add(base64.RawURLEncoding.EncodeToString(make([]byte, opaque.Bytes)))
	f.Add(strings.Repeat("A", 42) + "B")
	f.Add("")
	f.Add("not an id")
	f.Add(strings.Repeat("_", 43) + "=")
	asked := errors.New("the store was asked")
	p := NewPending(fakePendingStore{get: func(context.Context, string, time.Time) (storage.PersistedGrant, error) {
		return storage.PersistedGrant{}, asked
	}}, 0)
	f.Fuzz(func(t *testing.T, id string) {
		ok := opaque.Valid(id)
		if ok {
			raw, err := base64.RawURLEncoding.DecodeString(id)
			if err != nil || len(raw) != opaque.Bytes || base64.RawURLEncoding.EncodeToString(raw) != id {
				t.Fatalf("accepted %q, which Save would not make", id)
			}
		}
		_, err := p.Load(context.Background(), id, pendingBase)
		if ok != errors.Is(err, asked) || (!ok && !errors.Is(err, ErrNotFound)) {
			t.Fatalf("Load(%q): %v (valid %v)", id, err, ok)
		}
	})
}
