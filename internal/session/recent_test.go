package session_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/storage"
)

// recent is m.Recent for b's request, failing t on an error.
func recent(t *testing.T, m *session.Manager, b *browser) *session.Session {
	t.Helper()
	s, err := m.Recent(t.Context(), b.request())
	if err != nil {
		t.Fatalf("Recent: %v", err)
	}
	return s
}

// TestRecentFromMemory: a session this manager started or read is
// answered from memory, unconfirmed, without a read of the store; one it
// never saw, or forgot, is read (and confirmed).
func TestRecentFromMemory(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		rs := &testsupport.ReadCounter{Store: store}
		m := newManager(t, rs, clk, session.Options{})
		b, started := signedIn(t, m, "alice")
		if !started.Confirmed() {
			t.Error("a started session is not Confirmed")
		}
		for range 3 {
			clk.Advance(time.Minute)
			s := recent(t, m, b)
			if s == nil || s.Confirmed() || !equalSession(s.Session, started.Session) {
				t.Fatalf("Recent = %+v, want the started session %+v, unconfirmed", s, started.Session)
			}
			// Its form tokens are the session's.
			if !s.CheckToken("consent", started.Token("consent")) {
				t.Fatal("a remembered session's form token differs from the started one's")
			}
		}
		if n := rs.Sessions.Load(); n != 0 {
			t.Fatalf("%d reads of the store for a remembered session, want 0", n)
		}

		// Another manager on the same store (another instance) reads
		// once, then remembers.
		other := newManager(t, rs, clk, session.Options{})
		if s := recent(t, other, b); s == nil || !s.Confirmed() {
			t.Fatalf("another instance's first Recent = %+v, want the session read and confirmed", s)
		}
		if s := recent(t, other, b); s == nil || s.Confirmed() || rs.Sessions.Load() != 1 {
			t.Fatalf("another instance's second Recent = %+v after %d reads, want it remembered after 1", s, rs.Sessions.Load())
		}

		// Forget: read again.
		s := recent(t, m, b)
		m.Forget(s)
		if s := recent(t, m, b); s == nil || !s.Confirmed() || rs.Sessions.Load() != 2 {
			t.Fatalf("Recent after Forget = %+v after %d reads, want it read (2)", s, rs.Sessions.Load())
		}
	})
}

// TestRecentEndedElsewhere: a session ended behind the manager's back
// (another instance, the CLI, the account page) is still remembered by
// Recent, unconfirmed: which is why a caller acts on it only through a
// write that checks it. Current, Forget, and the manager's own End and
// EndAll see or make it ended.
func TestRecentEndedElsewhere(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		m := newManager(t, store, clk, session.Options{})
		b, s := signedIn(t, m, "alice")
		if err := store.DeleteSession(t.Context(), s.ID); err != nil {
			t.Fatal(err)
		}
		if got := recent(t, m, b); got == nil || got.Confirmed() {
			t.Fatalf("Recent of a session ended elsewhere = %+v, want it remembered, unconfirmed", got)
		}
		if got := current(t, m, b); got != nil {
			t.Fatalf("Current of a session ended elsewhere = %+v, want none", got)
		}
		// Current found it ended: it is forgotten.
		if got := recent(t, m, b); got != nil {
			t.Fatalf("Recent after Current found the session ended = %+v, want none", got)
		}

		// End and EndAll forget what they end.
		b2, _ := signedIn(t, m, "bob")
		if _, err := m.End(t.Context(), httptest.NewRecorder(), b2.request()); err != nil {
			t.Fatal(err)
		}
		if got := recent(t, m, b2); got != nil {
			t.Fatalf("Recent after End = %+v, want none", got)
		}
		b3, _ := signedIn(t, m, "carol")
		b4, _ := signedIn(t, m, "carol")
		b5, _ := signedIn(t, m, "dave")
		if _, err := m.EndAll(t.Context(), "carol"); err != nil {
			t.Fatal(err)
		}
		for _, b := range []*browser{b3, b4} {
			if got := recent(t, m, b); got != nil {
				t.Fatalf("Recent after EndAll = %+v, want none", got)
			}
		}
		if got := recent(t, m, b5); got == nil || got.Subject != "dave" {
			t.Fatalf("Recent of another user's session after EndAll = %+v, want it", got)
		}
	})
}

// TestRecentReadsWhenDue: Recent reads the store (as Current, moving the
// expiry) when the remembered session's expiry is due to move, and when
// it has passed by memory: another instance may have moved it.
func TestRecentReadsWhenDue(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, clk *clock, store storage.Store) {
		const idle = 4 * time.Hour
		rs := &testsupport.ReadCounter{Store: store}
		m := newManager(t, rs, clk, session.Options{IdleLifetime: idle})
		other := newManager(t, store, clk, session.Options{IdleLifetime: idle})
		b, _ := signedIn(t, m, "alice")

		clk.Advance(idle/4 - time.Minute)
		if s := recent(t, m, b); s == nil || s.Confirmed() {
			t.Fatalf("within the first quarter: Recent = %+v, want it remembered", s)
		}
		clk.Advance(2 * time.Minute) // past a quarter: due to move
		s := recent(t, m, b)
		if want := clk.Now().Add(idle); s == nil || !s.Confirmed() || !s.Expires.Equal(want) || rs.Sessions.Load() != 1 {
			t.Fatalf("past a quarter: Recent = %+v after %d reads, want it read with expiry %v", s, rs.Sessions.Load(), want)
		}
		stored, err := store.GetSession(t.Context(), s.ID, clk.Now())
		if err != nil || !stored.Expires.Equal(s.Expires) {
			t.Fatalf("stored %+v, %v; want the expiry moved to %v", stored, err, s.Expires)
		}
		// Remembered again with its new expiry.
		if s := recent(t, m, b); s == nil || s.Confirmed() {
			t.Fatalf("after the move: Recent = %+v, want it remembered", s)
		}

		// Another instance keeps it alive past the expiry this manager
		// remembers: Recent reads and finds it live.
		for range 3 {
			clk.Advance(idle / 2)
			if s := current(t, other, b); s == nil {
				t.Fatalf("the other instance lost the session at %v", clk.Now().Sub(start))
			}
		}
		s = recent(t, m, b)
		if s == nil || !s.Confirmed() {
			t.Fatalf("past the remembered expiry: Recent = %+v, want the session read and live", s)
		}

		// Idle past its expiry: ended, for Recent too.
		clk.Advance(idle + time.Millisecond)
		if s := recent(t, m, b); s != nil {
			t.Fatalf("idle past its expiry: Recent = %+v, want none", s)
		}
	})
}

// TestRecentBounded: memory holds a bounded number of sessions; those in
// use stay, and one pushed out is read again, still live.
func TestRecentBounded(t *testing.T) {
	t.Parallel()
	clk := newClock()
	store := memoryStore(clk)
	rs := &testsupport.ReadCounter{Store: store}
	m := newManager(t, rs, clk, session.Options{})
	first, _ := signedIn(t, m, "first")
	const n = 10000 // more than the two generations hold
	for i := range n {
		signedIn(t, m, fmt.Sprintf("user-%d", i))
		if i%1000 == 0 {
			// In use: stays remembered.
			if s := recent(t, m, first); s == nil || s.Confirmed() {
				t.Fatalf("after %d sessions: Recent of one in use = %+v, want it remembered", i, s)
			}
		}
	}
	if rs.Sessions.Load() != 0 {
		t.Fatalf("%d reads for sessions in use, want 0", rs.Sessions.Load())
	}
	old, _ := signedIn(t, m, "old")
	for i := range n {
		signedIn(t, m, fmt.Sprintf("later-%d", i))
	}
	if s := recent(t, m, old); s == nil || !s.Confirmed() || s.Subject != "old" {
		t.Fatalf("Recent of a session pushed out of memory = %+v, want it read again", s)
	}
}
