package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/storage"
)

// sessionTests are the session's own tests, beyond kindTests (which read and
// write at gnow, before every sample session expires).
var sessionTests = []test{
	{"Expiry", testSessionExpiry},
	{"SlidingExpiry", testSlidingExpiry},
	{"SubjectFixed", testSessionSubjectFixed},
	{"ConcurrentClientAdds", testConcurrentSessionClients},
	{"ListBySubject", testListSessions},
	{"DeleteBySubject", testDeleteSessions},
	{"Invalid", testSessionInvalid},
}

func sampleSession(id string) storage.Session {
	return storage.Session{
		ID:       id,
		Subject:  "alice",
		AuthTime: base.Add(-time.Second),
		AMR:      []string{"pwd", "otp"},
		IdP:      "corp-oidc",
		Clients:  []string{"web", "mobile"},
		Created:  base, // the same for all, so that the list is by id
		Expires:  base.Add(8 * time.Hour),
	}
}

var sessionKind = kind[storage.Session]{
	config: false,
	field:  "session id",
	sample: sampleSession,
	keyOf:  func(v storage.Session) string { return v.ID },
	setKey: func(v *storage.Session, id string) { v.ID = id },
	change: func(v *storage.Session) {
		v.AuthTime = base.Add(30 * time.Second)
		v.AMR = v.AMR[:1]
		v.IdP = ""
		v.Clients = append(v.Clients, "spa-"+v.ID)
		v.Expires = base.Add(24 * time.Hour)
	},
	invalidate: func(v *storage.Session) { v.Expires = v.Created },
	invalidMsg: "session expires at or before it was created",
	scribble:   func(v *storage.Session) { scribbleLists(v.AMR, v.Clients) },
	want: func(v storage.Session) storage.Session {
		v.AMR, v.Clients = orNil(v.AMR), orNil(v.Clients)
		v.AuthTime, v.Created, v.Expires = instant(v.AuthTime), instant(v.Created), instant(v.Expires)
		return v
	},
	create: storage.Store.CreateSession,
	get: func(s storage.Store, ctx context.Context, id string) (storage.Session, error) {
		return s.GetSession(ctx, id, gnow)
	},
	list: func(s storage.Store, ctx context.Context) ([]storage.Session, error) {
		return s.ListSessions(ctx, "alice", gnow)
	},
	update: func(s storage.Store, ctx context.Context, id string, f func(*storage.Session) error) error {
		return s.UpdateSession(ctx, id, gnow, f)
	},
	del: storage.Store.DeleteSession,
}

func checkNoSession(t *testing.T, s storage.Store, id string, now time.Time) {
	t.Helper()
	if _, err := s.GetSession(t.Context(), id, now); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("GetSession(%q) = %v, want ErrNotFound", id, err)
	}
}

// testSessionExpiry checks the boundary: a session exists until the
// millisecond of its expiry, which is expired for every method that takes a
// now; its id stays taken until it is removed.
func testSessionExpiry(t *testing.T, s storage.Store) {
	ctx := t.Context()
	v := sampleSession("s")
	v.Expires = time.Date(2031, 3, 4, 13, 6, 7, 891_999_999, time.UTC)
	sessionKind.mustCreate(t, s, v)
	exp := instant(v.Expires)
	for _, now := range []time.Time{exp.Add(-time.Millisecond), exp.Add(-time.Nanosecond)} {
		if _, err := s.GetSession(ctx, "s", now); err != nil {
			t.Errorf("GetSession before the expiry (%v): %v", now, err)
		}
	}
	checkNoSession(t, s, "s", exp)
	checkNoSession(t, s, "s", v.Expires)
	err := s.UpdateSession(ctx, "s", exp, func(*storage.Session) error {
		t.Error("update function called for an expired session")
		return nil
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("UpdateSession at the expiry = %v, want ErrNotFound", err)
	}
	if l, err := s.ListSessions(ctx, "alice", exp); err != nil || len(l) != 0 {
		t.Errorf("ListSessions at the expiry = %d sessions, %v; want none", len(l), err)
	}
	if err := s.CreateSession(ctx, sampleSession("s")); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("CreateSession over an expired session = %v, want ErrAlreadyExists", err)
	}
	sessionKind.check(t, s, "s", v) // at gnow, unchanged
	if err := s.DeleteSession(ctx, "s"); err != nil {
		t.Errorf("DeleteSession of an expired session: %v", err)
	}
	sessionKind.checkMissing(t, s, "s")
}

// testSlidingExpiry checks that an update moves the expiry: the session lives
// past the old one.
func testSlidingExpiry(t *testing.T, s storage.Store) {
	v := sampleSession("s")
	v.Expires = base.Add(time.Hour)
	sessionKind.mustCreate(t, s, v)
	if err := s.UpdateSession(t.Context(), "s", base.Add(50*time.Minute), func(v *storage.Session) error {
		v.Expires = base.Add(2 * time.Hour)
		v.Clients = append(v.Clients, "spa")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(t.Context(), "s", base.Add(90*time.Minute))
	if err != nil {
		t.Fatalf("GetSession past the old expiry: %v", err)
	}
	if !got.Expires.Equal(instant(base.Add(2*time.Hour))) || strings.Join(got.Clients, " ") != "web mobile spa" {
		t.Errorf("after the update Expires, Clients = %v, %q", got.Expires, got.Clients)
	}
	checkNoSession(t, s, "s", base.Add(2*time.Hour))
}

// testSessionSubjectFixed checks that a session cannot change users, and that
// an update keeps Created.
func testSessionSubjectFixed(t *testing.T, s storage.Store) {
	ctx := t.Context()
	sessionKind.mustCreate(t, s, sampleSession("s"))
	err := s.UpdateSession(ctx, "s", gnow, func(v *storage.Session) error {
		v.Subject = "mallory"
		return nil
	})
	wantInvalid(t, "UpdateSession changing the subject", err, `session subject cannot change from "alice" to "mallory"`)
	if err := s.UpdateSession(ctx, "s", gnow, func(v *storage.Session) error {
		v.Created = base.Add(-time.Hour)
		v.IdP = "other"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := sampleSession("s")
	want.IdP = "other"
	sessionKind.check(t, s, "s", want)
}

// testConcurrentSessionClients checks that clients signing in through one
// session at once are all recorded.
func testConcurrentSessionClients(t *testing.T, s storage.Store) {
	sessionKind.mustCreate(t, s, sampleSession("s"))
	addSessionClients(t, func(int) storage.Store { return s }, "s", 16)
}

// addSessionClients adds n clients to session id from n goroutines, the i-th
// through store(i), and checks that none is lost.
func addSessionClients(t *testing.T, store func(i int) storage.Store, id string, n int) {
	t.Helper()
	errs := race(n, func(i int) error {
		return store(i).UpdateSession(t.Context(), id, gnow, func(v *storage.Session) error {
			v.Clients = append(v.Clients, fmt.Sprintf("c%02d", i))
			return nil
		})
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("UpdateSession: %v", err)
	}
	got, err := store(1).GetSession(t.Context(), id, gnow)
	if err != nil {
		t.Fatal(err)
	}
	clients := slices.Sorted(slices.Values(got.Clients))
	if distinct := slices.Compact(slices.Clone(clients)); len(distinct) != n+2 || len(clients) != n+2 {
		t.Errorf("after %d concurrent adds the session has clients %v, want %d distinct", n, clients, n+2)
	}
}

// sessionSet makes sessions of alice and bob, created out of key order, one
// of alice's expired at gnow.
func sessionSet(t *testing.T, s storage.Store) {
	t.Helper()
	add := func(id, subject string, created time.Duration) {
		v := sampleSession(id)
		v.Subject, v.Created, v.Expires = subject, base.Add(created), base.Add(created+time.Hour)
		sessionKind.mustCreate(t, s, v)
	}
	add("s3", "alice", 3*time.Second)
	add("s1", "alice", 5*time.Second)
	add("s2", "alice", time.Second)
	add("b1", "bob", 2*time.Second)
	add("expired", "alice", -2*time.Hour)
}

func sessionIDs(l []storage.Session) string {
	return keyList(l, sessionKind.keyOf)
}

// testListSessions checks the filter by subject (exact), the order (oldest
// first), and that expired sessions are left out.
func testListSessions(t *testing.T, s storage.Store) {
	sessionSet(t, s)
	for _, tt := range []struct {
		subject string
		now     time.Time
		want    string
	}{
		{"alice", gnow, "s2 s3 s1"},
		{"bob", gnow, "b1"},
		{"Alice", gnow, ""},
		{"carol", gnow, ""},
		{"alice", base.Add(-90 * time.Minute), "expired s2 s3 s1"},
		{"alice", base.Add(time.Hour + 3*time.Second), "s1"},
	} {
		l, err := s.ListSessions(t.Context(), tt.subject, tt.now)
		if err != nil || sessionIDs(l) != tt.want {
			t.Errorf("ListSessions(%q, %v) = %q, %v; want %q", tt.subject, tt.now, sessionIDs(l), err, tt.want)
		}
	}
}

// testDeleteSessions checks that a subject's sessions go, expired ones
// included, and nobody else's.
func testDeleteSessions(t *testing.T, s storage.Store) {
	ctx := t.Context()
	sessionSet(t, s)
	for _, tt := range []struct {
		subject string
		n       int
	}{{"Alice", 0}, {"alice", 4}, {"alice", 0}} {
		if n, err := s.DeleteSessions(ctx, tt.subject); err != nil || n != tt.n {
			t.Errorf("DeleteSessions(%q) = %d, %v; want %d", tt.subject, n, err, tt.n)
		}
	}
	checkNoSession(t, s, "expired", base.Add(-90*time.Minute))
	if l, err := s.ListSessions(ctx, "bob", gnow); err != nil || sessionIDs(l) != "b1" {
		t.Errorf("bob's sessions after deleting alice's = %q, %v", sessionIDs(l), err)
	}
	_, err := s.DeleteSessions(ctx, "")
	wantInvalid(t, "DeleteSessions of an empty subject", err, "session subject is empty")
}

func testSessionInvalid(t *testing.T, s storage.Store) {
	// An update keeps the subject (or refuses its change) and Created.
	sessionKind.testInvalid(t, s, []invalid[storage.Session]{
		{"empty id", func(v *storage.Session) { v.ID = "" }, "session id is empty"},
		{"no subject", func(v *storage.Session) { v.Subject = "" }, "session subject is empty"},
		{"long subject", func(v *storage.Session) { v.Subject = strings.Repeat("s", storage.MaxKeyLen+1) }, "session subject is 513 bytes"},
		{"no auth time", func(v *storage.Session) { v.AuthTime = time.Time{} }, "session has no authentication time"},
		{"no created", func(v *storage.Session) { v.Created = time.Time{} }, "session has no created time"},
		{"no expiry", func(v *storage.Session) { v.Expires = time.Time{} }, "session has no expiry"},
		{"expires at created", func(v *storage.Session) { v.Expires = v.Created.Add(time.Microsecond) }, "session expires at or before it was created"},
		{"duplicate amr", func(v *storage.Session) { v.AMR = []string{"pwd", "pwd"} }, `session authentication method "pwd" is listed twice`},
		{"empty client", func(v *storage.Session) { v.Clients = append(v.Clients, "") }, "session client is empty"},
		{"nul in idp", func(v *storage.Session) { v.IdP = "a\x00" }, "session identity provider contains a NUL byte"},
	}, func(v storage.Session) bool { return v.Subject != "alice" || v.Created.IsZero() })

	ctx := t.Context()
	_, err := s.GetSession(ctx, "valid", time.Time{})
	wantInvalid(t, "GetSession at the zero time", err, "now is the zero time")
	wantInvalid(t, "UpdateSession at the zero time", s.UpdateSession(ctx, "valid", time.Time{}, func(*storage.Session) error { return nil }), "now is the zero time")
	_, err = s.ListSessions(ctx, "alice", time.Time{})
	wantInvalid(t, "ListSessions at the zero time", err, "now is the zero time")
	_, err = s.ListSessions(ctx, "", gnow)
	wantInvalid(t, "ListSessions of an empty subject", err, "session subject is empty")
}
