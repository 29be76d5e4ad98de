package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/storage"
)

// start is when every test's clock starts.
var start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// clock is a fake clock that moves only when told.
type clock = testsupport.Clock

func newClock() *clock { return testsupport.NewClock(start) }

// counting is a session.Store that counts UpdateSession calls.
type counting struct {
	session.Store
	updates atomic.Int64
}

func (c *counting) UpdateSession(ctx context.Context, id string, now time.Time, update func(*storage.Session) error) error {
	c.updates.Add(1)
	return c.Store.UpdateSession(ctx, id, now, update)
}

// eachBackend runs f on a fresh store of each backend, in parallel.
func eachBackend(t *testing.T, f func(t *testing.T, clk *clock, store storage.Store)) {
	t.Helper()
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			f(t, clk, b.OpenOne(t, clk.Now))
		})
	}
}

func newManager(t testing.TB, store session.Store, clk *clock, opts session.Options) *session.Manager {
	t.Helper()
	opts.Now = clk.Now
	m, err := session.New(store, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

// memoryManager is a Manager with opts on a fresh memory store and a new
// clock.
func memoryManager(t testing.TB, opts session.Options) (*session.Manager, *clock) {
	t.Helper()
	clk := newClock()
	return newManager(t, memoryStore(clk), clk, opts), clk
}

// browser keeps the cookies that responses set, as a browser does for one
// host, and sends them with the requests it makes.
type browser struct {
	cookies map[string]*http.Cookie
}

func newBrowser() *browser { return &browser{cookies: map[string]*http.Cookie{}} }

// keep applies the Set-Cookie lines of rec, and returns its cookies.
func (b *browser) keep(t testing.TB, rec *httptest.ResponseRecorder) []*http.Cookie {
	t.Helper()
	cs := rec.Result().Cookies()
	for _, c := range cs {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return cs
}

func (b *browser) request() *http.Request {
	r := httptest.NewRequest(http.MethodGet, "https://auth.example.com/account", nil)
	for _, c := range b.cookies {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return r
}

// signIn starts a session for subject in b.
func signIn(t testing.TB, m *session.Manager, b *browser, subject string) *session.Session {
	t.Helper()
	rec := httptest.NewRecorder()
	s, err := m.Start(t.Context(), rec, subject, start, []string{"pwd"}, "")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	b.keep(t, rec)
	return s
}

// signedIn is a new browser in which subject has signed in, and its
// session.
func signedIn(t testing.TB, m *session.Manager, subject string) (*browser, *session.Session) {
	t.Helper()
	b := newBrowser()
	return b, signIn(t, m, b, subject)
}

// current is m.Current for b's request, failing t on an error.
func current(t *testing.T, m *session.Manager, b *browser) *session.Session {
	t.Helper()
	s, err := m.Current(t.Context(), b.request())
	if err != nil {
		t.Fatalf("Current: %v", err)
	}
	return s
}

// onlyCookie returns the one cookie named name that rec sets.
func onlyCookie(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	var found []*http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d cookies named %s in %q, want 1", len(found), name, rec.Header().Values("Set-Cookie"))
	}
	return found[0]
}
