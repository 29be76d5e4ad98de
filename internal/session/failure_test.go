package session_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/storage"
)

// failing is a session.Store whose reads or writes fail when told.
type failing struct {
	session.Store
	failGet, failUpdate bool
}

var errDown = errors.New("database is down")

func (f *failing) GetSession(ctx context.Context, id string, now time.Time) (storage.Session, error) {
	if f.failGet {
		return storage.Session{}, errDown
	}
	return f.Store.GetSession(ctx, id, now)
}

func (f *failing) UpdateSession(ctx context.Context, id string, now time.Time, update func(*storage.Session) error) error {
	if f.failUpdate {
		return errDown
	}
	return f.Store.UpdateSession(ctx, id, now, update)
}

func TestStoreFailures(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := &failing{Store: memoryStore(clk)}
	var logs testsupport.LogBuffer
	m := newManager(t, store, clk, session.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	b, _ := signedIn(t, m, "alice")
	handle := b.cookies[session.CookieName].Value

	// A store that cannot answer is an error, not "signed out" (which
	// would send prompt=none to login_required).
	store.failGet = true
	if s, err := m.Current(t.Context(), b.request()); s != nil || !errors.Is(err, errDown) {
		t.Errorf("Current with the store down = %v, %v; want its error", s, err)
	}
	if _, err := m.End(t.Context(), httptest.NewRecorder(), b.request()); !errors.Is(err, errDown) {
		t.Errorf("End with the store down = %v, want its error", err)
	}
	store.failGet = false

	// A slide that cannot be written is logged; the session is returned.
	store.failUpdate = true
	clk.Advance(session.DefaultIdleLifetime / 2)
	if s, err := m.Current(t.Context(), b.request()); s == nil || err != nil {
		t.Fatalf("Current with writes failing = %v, %v; want the session", s, err)
	}
	if got := logs.String(); !strings.Contains(got, "could not move the expiry") || !strings.Contains(got, errDown.Error()) || strings.Contains(got, handle) {
		t.Errorf("log %q, want the failed move and its cause, without the handle", got)
	}

	// A random source that fails makes no session.
	m = newManager(t, store, clk, session.Options{Random: strings.NewReader("short")})
	rec := httptest.NewRecorder()
	if _, err := m.Start(t.Context(), rec, "alice", start, nil, ""); err == nil || len(rec.Header().Values("Set-Cookie")) != 0 {
		t.Errorf("Start with a failing random source = %v, cookies %q; want an error and no cookie", err, rec.Header().Values("Set-Cookie"))
	}
}
