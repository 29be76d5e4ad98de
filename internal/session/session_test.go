package session_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

func TestStartAndCurrent(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		m := newManager(t, store, clk, session.Options{})
		b := newBrowser()
		rec := httptest.NewRecorder()
		authTime := start.Add(-time.Minute)
		s, err := m.Start(t.Context(), rec, "alice", authTime, []string{"pwd", "otp"}, "corp")
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		c := onlyCookie(t, rec, session.CookieName)
		b.keep(t, rec)

		// The handle: 256 bits of base64url; the store's id its SHA-256.
		raw, err := base64.RawURLEncoding.Strict().DecodeString(c.Value)
		if err != nil || len(raw) != 32 {
			t.Fatalf("cookie value %q is not 32 bytes of base64url: %v", c.Value, err)
		}
		sum := sha256.Sum256([]byte(c.Value))
		if want := base64.RawURLEncoding.EncodeToString(sum[:]); s.ID != want {
			t.Errorf("session id %q, want the SHA-256 of the handle %q", s.ID, want)
		}
		rows, err := store.ListSessions(t.Context(), "alice", clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].ID != s.ID || strings.Contains(rows[0].ID, c.Value) {
			t.Fatalf("stored sessions %+v, want one with id %q and no handle", rows, s.ID)
		}

		got := current(t, m, b)
		if got == nil {
			t.Fatal("Current: no session after Start")
		}
		want := storage.Session{
			ID: s.ID, Subject: "alice", AuthTime: authTime, AMR: []string{"pwd", "otp"}, IdP: "corp",
			Created: start, Expires: start.Add(session.DefaultIdleLifetime),
		}
		if !equalSession(got.Session, want) || !equalSession(s.Session, want) {
			t.Errorf("Current = %+v\nStart = %+v\nwant %+v", got.Session, s.Session, want)
		}
	})
}

func equalSession(a, b storage.Session) bool {
	return a.ID == b.ID && a.Subject == b.Subject && a.AuthTime.Equal(b.AuthTime) &&
		slices.Equal(a.AMR, b.AMR) && a.IdP == b.IdP && slices.Equal(a.Clients, b.Clients) &&
		a.Created.Equal(b.Created) && a.Expires.Equal(b.Expires)
}

// TestFixation: a handle known before sign-in (planted by an attacker, or
// the browser's previous session) is worth nothing after it.
func TestFixation(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		m := newManager(t, store, clk, session.Options{})
		victim := newBrowser()
		planted := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
		victim.cookies[session.CookieName] = &http.Cookie{Name: session.CookieName, Value: planted}

		first := signIn(t, m, victim, "alice")
		handle1 := victim.cookies[session.CookieName].Value
		if handle1 == planted {
			t.Fatal("Start kept the handle the browser had")
		}
		second := signIn(t, m, victim, "alice")
		handle2 := victim.cookies[session.CookieName].Value
		if handle2 == handle1 || second.ID == first.ID {
			t.Fatal("a second sign-in kept the first one's handle")
		}
		attacker := newBrowser()
		attacker.cookies[session.CookieName] = &http.Cookie{Name: session.CookieName, Value: planted}
		if s := current(t, m, attacker); s != nil {
			t.Errorf("the planted handle finds session %q", s.ID)
		}
		if s := current(t, m, victim); s == nil || s.ID != second.ID {
			t.Errorf("the victim's session is %v, want %q", s, second.ID)
		}
	})
}

func TestIdleExpiry(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		m := newManager(t, store, clk, session.Options{})
		b, _ := signedIn(t, m, "alice")
		clk.Advance(session.DefaultIdleLifetime - time.Millisecond)
		// Unused for just under the idle lifetime: the store still has it
		// (looked at without Current, which would slide it).
		id := storageIDOf(b)
		if _, err := store.GetSession(t.Context(), id, clk.Now()); err != nil {
			t.Fatalf("GetSession just before the idle lifetime: %v", err)
		}
		clk.Advance(time.Millisecond)
		if s := current(t, m, b); s != nil {
			t.Fatalf("Current after %v unused = %q, want none", session.DefaultIdleLifetime, s.ID)
		}
	})
}

func storageIDOf(b *browser) string {
	sum := sha256.Sum256([]byte(b.cookies[session.CookieName].Value))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestSliding: use moves the expiry, writing at most once per quarter of
// the idle lifetime, and never past the absolute lifetime.
func TestSliding(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		const idle, absolute = 4 * time.Hour, 24 * time.Hour
		cs := &counting{Store: store}
		m := newManager(t, cs, clk, session.Options{IdleLifetime: idle, AbsoluteLifetime: absolute})
		b, _ := signedIn(t, m, "alice")

		// Within the first quarter: no write, the expiry stays.
		for range 10 {
			clk.Advance(5 * time.Minute) // 50 minutes in all, under idle/4
			s := current(t, m, b)
			if s == nil || !s.Expires.Equal(start.Add(idle)) {
				t.Fatalf("at %v: session %+v, want expiry %v", clk.Now().Sub(start), s, start.Add(idle))
			}
		}
		if n := cs.updates.Load(); n != 0 {
			t.Fatalf("%d writes within the first quarter of the idle lifetime, want 0", n)
		}
		clk.Advance(idle / 4) // past the quarter
		s := current(t, m, b)
		if want := clk.Now().Add(idle); s == nil || !s.Expires.Equal(want) || cs.updates.Load() != 1 {
			t.Fatalf("past a quarter: session %+v after %d writes, want expiry %v after 1", s, cs.updates.Load(), want)
		}
		stored, err := store.GetSession(t.Context(), s.ID, clk.Now())
		if err != nil || !stored.Expires.Equal(s.Expires) {
			t.Fatalf("stored %+v, %v; want expiry %v", stored, err, s.Expires)
		}

		// Used every 3/4 of the idle lifetime, it lives to the absolute
		// lifetime exactly, with one write per use at most.
		for clk.Now().Add(idle * 3 / 4).Before(start.Add(absolute)) {
			clk.Advance(idle * 3 / 4)
			if s := current(t, m, b); s == nil {
				t.Fatalf("session ended at %v, before the absolute lifetime", clk.Now().Sub(start))
			} else if s.Expires.After(start.Add(absolute)) {
				t.Fatalf("expiry %v past the absolute lifetime", s.Expires.Sub(start))
			}
		}
		if n := cs.updates.Load(); n > int64(absolute/(idle*3/4))+1 {
			t.Errorf("%d writes, want one per use at most", n)
		}
		clk.Advance(start.Add(absolute).Sub(clk.Now()) - time.Millisecond)
		if s := current(t, m, b); s == nil {
			t.Fatal("session ended before the absolute lifetime")
		}
		clk.Advance(time.Millisecond)
		if s := current(t, m, b); s != nil {
			t.Fatalf("session %+v alive at the absolute lifetime", s)
		}
	})
}

// TestAbsoluteShortened: a session begun under a longer absolute lifetime
// ends by the current one.
func TestAbsoluteShortened(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		long := newManager(t, store, clk, session.Options{IdleLifetime: time.Hour, AbsoluteLifetime: 48 * time.Hour})
		short := newManager(t, store, clk, session.Options{IdleLifetime: time.Hour, AbsoluteLifetime: 2 * time.Hour})
		b := newBrowser()
		signIn(t, long, b, "alice")
		for range 4 {
			clk.Advance(40 * time.Minute)
			if current(t, long, b) == nil {
				t.Fatal("session ended early")
			}
		}
		if s := current(t, short, b); s != nil {
			t.Fatalf("session %q alive past the shortened absolute lifetime", s.ID)
		}
	})
}

func TestEnd(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		m := newManager(t, store, clk, session.Options{})
		b, s := signedIn(t, m, "alice")
		if err := m.AddClient(t.Context(), s, "web"); err != nil {
			t.Fatalf("AddClient: %v", err)
		}
		before := b.request()

		rec := httptest.NewRecorder()
		ended, err := m.End(t.Context(), rec, before)
		if err != nil {
			t.Fatalf("End: %v", err)
		}
		if ended == nil || ended.ID != s.ID || !slices.Equal(ended.Clients, []string{"web"}) {
			t.Errorf("End returned %+v, want session %q with client web", ended, s.ID)
		}
		c := onlyCookie(t, rec, session.CookieName)
		if c.MaxAge >= 0 || c.Value != "" || c.Path != "/" || !c.HttpOnly {
			t.Errorf("End's cookie %+v, want an empty one with Max-Age<0, Path=/, HttpOnly", c)
		}
		b.keep(t, rec)
		if _, ok := b.cookies[session.CookieName]; ok {
			t.Error("the browser kept the session cookie")
		}
		if _, err := store.GetSession(t.Context(), s.ID, clk.Now()); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("GetSession after End: %v, want ErrNotFound", err)
		}
		// The cookie replayed after logout finds nothing.
		if got, err := m.Current(t.Context(), before); got != nil || err != nil {
			t.Errorf("Current with the old cookie = %v, %v; want none", got, err)
		}
		if err := m.AddClient(t.Context(), s, "spa"); !errors.Is(err, session.ErrEnded) {
			t.Errorf("AddClient after End: %v, want ErrEnded", err)
		}

		// Without a session, End still removes the cookie.
		rec = httptest.NewRecorder()
		if got, err := m.End(t.Context(), rec, before); got != nil || err != nil {
			t.Errorf("End again = %v, %v; want nil, nil", got, err)
		}
		if c := onlyCookie(t, rec, session.CookieName); c.MaxAge >= 0 {
			t.Errorf("End without a session: cookie %+v, want Max-Age<0", c)
		}
	})
}

// TestEndThenStart: ending the old session and starting a new one in one
// response sends only the new cookie.
func TestEndThenStart(t *testing.T) {
	t.Parallel()
	m, _ := memoryManager(t, session.Options{})
	b, _ := signedIn(t, m, "alice")
	rec := httptest.NewRecorder()
	rec.Header().Add("Set-Cookie", "other=1")
	if _, err := m.End(t.Context(), rec, b.request()); err != nil {
		t.Fatal(err)
	}
	s, err := m.Start(t.Context(), rec, "bob", start, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	c := onlyCookie(t, rec, session.CookieName)
	if c.MaxAge <= 0 || onlyCookie(t, rec, "other").Value != "1" {
		t.Fatalf("Set-Cookie %q, want other=1 and the new session", rec.Header().Values("Set-Cookie"))
	}
	b.keep(t, rec)
	if got := current(t, m, b); got == nil || got.ID != s.ID || got.Subject != "bob" {
		t.Fatalf("Current = %+v, want bob's new session", got)
	}
}

func TestEndAll(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		m := newManager(t, store, clk, session.Options{})
		laptop, phone, bobs := newBrowser(), newBrowser(), newBrowser()
		signIn(t, m, laptop, "alice")
		signIn(t, m, phone, "alice")
		signIn(t, m, bobs, "bob")
		n, err := m.EndAll(t.Context(), "alice")
		if err != nil || n != 2 {
			t.Fatalf("EndAll = %d, %v; want 2", n, err)
		}
		for name, b := range map[string]*browser{"laptop": laptop, "phone": phone} {
			if s := current(t, m, b); s != nil {
				t.Errorf("%s: alice's session %q alive after EndAll", name, s.ID)
			}
		}
		if s := current(t, m, bobs); s == nil || s.Subject != "bob" {
			t.Errorf("bob's session = %+v after alice's EndAll", s)
		}
		if n, err := m.EndAll(t.Context(), "alice"); n != 0 || err != nil {
			t.Errorf("EndAll again = %d, %v; want 0", n, err)
		}
	})
}

func TestAddClient(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		m := newManager(t, store, clk, session.Options{})
		b, s := signedIn(t, m, "alice")
		for _, c := range []string{"web", "spa", "web"} {
			if err := m.AddClient(t.Context(), s, c); err != nil {
				t.Fatalf("AddClient(%s): %v", c, err)
			}
		}
		// Another instance's view of the same session adds too.
		other := current(t, m, b)
		if err := m.AddClient(t.Context(), other, "mobile"); err != nil {
			t.Fatal(err)
		}
		if err := m.AddClient(t.Context(), s, "cli"); err != nil {
			t.Fatal(err)
		}
		want := []string{"web", "spa", "mobile", "cli"}
		if got := current(t, m, b); !slices.Equal(got.Clients, want) || !slices.Equal(s.Clients, want) {
			t.Errorf("clients %q (stored) and %q, want %q", got.Clients, s.Clients, want)
		}
	})
}

func memoryStore(clk *clock) storage.Store { return memory.New(memory.Options{Now: clk.Now}) }
