package consent_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/consent"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

var base = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// eachStore runs f on a fresh store of each backend (PostgreSQL when
// SIGNET_TEST_POSTGRES_DSN is set), with a consent.Store on the clock clk,
// which starts at base.
func eachStore(t *testing.T, f func(t *testing.T, db storage.Store, s *consent.Store, clk *testsupport.Clock)) {
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := testsupport.NewClock(base)
			db := b.OpenOne(t, clk.Now)
			f(t, db, consent.New(db, clk.Now), clk)
		})
	}
}

func mustRemember(t *testing.T, s *consent.Store, subject, client string, scopes []string, expires time.Time) {
	t.Helper()
	if err := s.Remember(t.Context(), subject, client, scopes, expires); err != nil {
		t.Fatalf("Remember(%s, %s, %v): %v", subject, client, scopes, err)
	}
}

func mustGet(t *testing.T, s *consent.Store, subject, client string) (consent.Consent, bool) {
	t.Helper()
	c, ok, err := s.Get(t.Context(), subject, client)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", subject, client, err)
	}
	return c, ok
}

func TestRememberAndGet(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, db storage.Store, s *consent.Store, clk *testsupport.Clock) {
		if _, ok := mustGet(t, s, "alice", "web"); ok {
			t.Fatal("Get found a consent before any was remembered")
		}
		mustRemember(t, s, "alice", "web", []string{"openid", "profile", "api1", "profile"}, time.Time{})
		c, ok := mustGet(t, s, "alice", "web")
		switch {
		case !ok:
			t.Fatal("Get found no consent after Remember")
		case c.Subject != "alice" || c.ClientID != "web":
			t.Errorf("Subject, ClientID = %q, %q", c.Subject, c.ClientID)
		case !slices.Equal(c.Scopes, []string{"openid", "profile", "api1"}):
			t.Errorf("Scopes = %v, want openid profile api1 (the repeat kept once)", c.Scopes)
		case !c.Created.Equal(base) || !c.Expires.IsZero():
			t.Errorf("Created %v, Expires %v; want %v and zero (until revoked)", c.Created, c.Expires, base)
		}
		for _, tc := range []struct {
			requested []string
			covered   bool
		}{
			{[]string{"openid"}, true},
			{[]string{"api1", "openid", "profile"}, true},
			{nil, true},
			{[]string{"openid", "email"}, false},
			{[]string{"offline_access"}, false},
		} {
			if got := c.Covers(tc.requested); got != tc.covered {
				t.Errorf("Covers(%v) = %v, want %v", tc.requested, got, tc.covered)
			}
		}
		// Another user, another client: not this consent.
		if _, ok := mustGet(t, s, "bob", "web"); ok {
			t.Error("bob has alice's consent")
		}
		if _, ok := mustGet(t, s, "alice", "spa"); ok {
			t.Error("alice's consent at web is found at spa")
		}
		// Stored as a user_consent grant with Subject and ClientID, so that
		// storage filters find it.
		gs, err := db.ListGrants(t.Context(), storage.PersistedGrantFilter{Subject: "alice", ClientID: "web", Type: storage.GrantUserConsent}, clk.Now())
		if err != nil || len(gs) != 1 || gs[0].Key != consent.Key("alice", "web") {
			t.Errorf("ListGrants by filter = %+v, %v; want the one consent under Key", gs, err)
		}
	})
}

// Remembering again replaces the consent: the latest decision stands, even
// when it grants less.
func TestRememberReplaces(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, db storage.Store, s *consent.Store, clk *testsupport.Clock) {
		mustRemember(t, s, "alice", "web", []string{"openid", "profile"}, time.Time{})
		clk.Advance(time.Minute)
		mustRemember(t, s, "alice", "web", []string{"openid"}, clk.Now().Add(time.Hour))
		c, ok := mustGet(t, s, "alice", "web")
		if !ok || !slices.Equal(c.Scopes, []string{"openid"}) || !c.Created.Equal(clk.Now()) || !c.Expires.Equal(clk.Now().Add(time.Hour)) {
			t.Errorf("after a second Remember: %+v, %v; want openid only, created now, expiring in an hour", c, ok)
		}
		if c.Covers([]string{"profile"}) {
			t.Error("the replaced consent still covers profile")
		}
		if list, err := s.List(t.Context(), "alice"); err != nil || len(list) != 1 {
			t.Errorf("List = %+v, %v; want one consent", list, err)
		}
	})
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, db storage.Store, s *consent.Store, clk *testsupport.Clock) {
		mustRemember(t, s, "alice", "web", []string{"openid"}, base.Add(time.Hour))
		mustRemember(t, s, "alice", "spa", []string{"openid"}, time.Time{})
		clk.Set(base.Add(time.Hour - time.Millisecond))
		if _, ok := mustGet(t, s, "alice", "web"); !ok {
			t.Error("the consent is gone before it expires")
		}
		clk.Set(base.Add(time.Hour))
		if _, ok := mustGet(t, s, "alice", "web"); ok {
			t.Error("the consent is found when it expires")
		}
		clk.Set(base.Add(50 * 365 * 24 * time.Hour))
		if _, ok := mustGet(t, s, "alice", "spa"); !ok {
			t.Error("a consent remembered until revoked is gone after 50 years")
		}
		list, err := s.List(t.Context(), "alice")
		if err != nil || len(list) != 1 || list[0].ClientID != "spa" {
			t.Errorf("List = %+v, %v; want the unexpired consent at spa only", list, err)
		}
	})
}

func TestListAndRevoke(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, db storage.Store, s *consent.Store, clk *testsupport.Clock) {
		ctx := t.Context()
		mustRemember(t, s, "alice", "web", []string{"openid", "profile"}, time.Time{})
		clk.Advance(time.Second)
		mustRemember(t, s, "alice", "spa", []string{"openid", "api1"}, time.Time{})
		mustRemember(t, s, "bob", "web", []string{"openid"}, time.Time{})
		list, err := s.List(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		var clients []string
		for _, c := range list {
			clients = append(clients, c.ClientID+"="+strings.Join(c.Scopes, " "))
		}
		if want := []string{"web=openid profile", "spa=openid api1"}; !slices.Equal(clients, want) {
			t.Errorf("List(alice) = %v, want %v (oldest first)", clients, want)
		}
		if list, err := s.List(ctx, "carol"); err != nil || len(list) != 0 {
			t.Errorf("List(carol) = %+v, %v; want none", list, err)
		}

		if revoked, err := s.Revoke(ctx, "alice", "web"); err != nil || !revoked {
			t.Fatalf("Revoke(alice, web) = %v, %v; want true", revoked, err)
		}
		if _, ok := mustGet(t, s, "alice", "web"); ok {
			t.Error("the revoked consent is still found")
		}
		if revoked, err := s.Revoke(ctx, "alice", "web"); err != nil || revoked {
			t.Errorf("a second Revoke(alice, web) = %v, %v; want false", revoked, err)
		}
		if _, ok := mustGet(t, s, "alice", "spa"); !ok {
			t.Error("revoking alice's consent at web took the one at spa")
		}
		if _, ok := mustGet(t, s, "bob", "web"); !ok {
			t.Error("revoking alice's consent at web took bob's")
		}
		// Remembering after a revoke works (the key is free again).
		mustRemember(t, s, "alice", "web", []string{"openid"}, time.Time{})
	})
}

func TestRefused(t *testing.T) {
	t.Parallel()
	s := consent.New(memory.New(memory.Options{}), func() time.Time { return base })
	ctx := t.Context()
	for _, tc := range []struct {
		name            string
		subject, client string
		scopes          []string
		expires         time.Time
		want            string
	}{
		{"no subject", "", "web", []string{"openid"}, time.Time{}, "no subject"},
		{"no client", "alice", "", []string{"openid"}, time.Time{}, "no client id"},
		{"no scope", "alice", "web", nil, time.Time{}, "no scope to remember"},
		{"an empty scope", "alice", "web", []string{"openid", ""}, time.Time{}, "an empty scope name"},
		{"expired already", "alice", "web", []string{"openid"}, base, "not after now"},
	} {
		if err := s.Remember(ctx, tc.subject, tc.client, tc.scopes, tc.expires); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Remember = %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	if _, err := s.List(ctx, ""); err == nil {
		t.Error("List without a subject succeeded")
	}
	if _, err := s.Revoke(ctx, "alice", ""); err == nil {
		t.Error("Revoke without a client id succeeded")
	}
}

// A consent whose data this version does not write is an error, never a
// consent read by guess.
func TestUnknownData(t *testing.T) {
	t.Parallel()
	db := memory.New(memory.Options{})
	s := consent.New(db, func() time.Time { return base })
	ctx := t.Context()
	for client, data := range map[string]string{
		"v2":      `{"v":2,"scopes":["openid"]}`,
		"garbled": `{"v":1,"scopes":`,
	} {
		if err := db.CreateGrant(ctx, storage.PersistedGrant{Key: consent.Key("alice", client), Type: storage.GrantUserConsent,
			Subject: "alice", ClientID: client, Created: base, Expires: base.Add(time.Hour), Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Get(ctx, "alice", client); err == nil || ok {
			t.Errorf("Get of %s data = %v, %v; want an error", client, ok, err)
		}
	}
	if _, err := s.List(ctx, "alice"); err == nil || !strings.Contains(err.Error(), "alice") {
		t.Errorf("List with unreadable consents = %v, want an error naming the user", err)
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	if consent.Key("a:1", "b") == consent.Key("a", "1:b") {
		t.Error("Key of (a:1, b) and (a, 1:b) are the same")
	}
	if consent.Key("alice", "web") != consent.Key("alice", "web") || consent.Key("alice", "web") == consent.Key("web", "alice") {
		t.Error("Key is not a function of the ordered pair")
	}
	if k := consent.Key("alice", "web"); strings.Contains(k, "alice") || len(k) != 43 {
		t.Errorf("Key = %q, want 43 base64url characters that do not show the subject", k)
	}
}
