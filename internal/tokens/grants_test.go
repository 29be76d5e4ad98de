package tokens

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/internal/pkce"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// clock is a fake clock shared by the service and its store.
type clock = testsupport.Clock

// forEachBackend runs test on a fresh store of each backend, with a
// service on a fake clock.
func forEachBackend(t *testing.T, test func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock)) {
	for _, b := range stores.All {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := testsupport.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
			store := b.OpenOne(t, clk.Now)
			liveSession(t, store, clk)
			var st storage.PersistedGrants = store
			test(t, &Service{Grants: st, Now: clk.Now}, st, clk)
		})
	}
}

// liveSession stores the session authorization's codes are issued in
// (IssueCode stores a code only while its session is live), for a day.
func liveSession(t testing.TB, st storage.Sessions, clk *clock) {
	t.Helper()
	now := clk.Now().UTC()
	if err := st.CreateSession(t.Context(), storage.Session{ID: "sess-1", Subject: "alice", AuthTime: now, AMR: []string{"pwd"},
		Created: now, Expires: now.AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
}

const (
	verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" // RFC 7636 Appendix B
	challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func authorization(clk *clock) Authorization {
	return Authorization{
		ClientID: "web", Subject: "alice", SessionID: "sess-1", Scopes: []string{"openid", "profile", "api1", "offline_access"},
		RedirectURI: "https://app.example.com/cb", Nonce: "n-0S6_WzA2Mj", CodeChallenge: challenge, CodeChallengeMethod: pkce.S256,
		AuthTime: clk.Now().Add(-time.Minute), AMR: []string{"pwd"}, ACR: "sfa",
	}
}

func redemption(code string) CodeRedemption {
	return CodeRedemption{Code: code, ClientID: "web", RedirectURI: "https://app.example.com/cb", Verifier: verifier}
}

// grantErrorOf returns err as a *GrantError whose description has want,
// or fails t.
func grantErrorOf(t *testing.T, err error, want string) *GrantError {
	t.Helper()
	var ge *GrantError
	if !errors.As(err, &ge) {
		t.Fatalf("err %v (%T), want a *GrantError with %q", err, err, want)
	}
	if !strings.Contains(ge.Description, want) {
		t.Fatalf("err %q, want %q", ge.Description, want)
	}
	return ge
}

func mustGone(t *testing.T, st storage.PersistedGrants, typ, handle string, now time.Time) {
	t.Helper()
	if _, err := st.GetGrant(t.Context(), HandleKey(typ, handle), now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the %s is still stored: %v", typ, err)
	}
}

func TestCode(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		ctx := t.Context()
		want := authorization(clk)
		code, err := svc.IssueCode(ctx, want, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(code) < 43 {
			t.Errorf("code %q: want 256 random bits", code)
		}

		// Stored by its hash, with what it grants, never the code itself.
		g, err := st.GetGrant(ctx, HandleKey(storage.GrantAuthorizationCode, code), clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if g.Key == code || strings.Contains(string(g.Data), code) || g.Type != storage.GrantAuthorizationCode ||
			g.ClientID != "web" || g.Subject != "alice" || g.SessionID != "sess-1" || g.FamilyID == "" ||
			!g.Expires.Equal(clk.Now().Add(300*time.Second)) {
			t.Errorf("stored %+v", g)
		}
		if !strings.Contains(string(g.Data), `"v":1`) {
			t.Errorf("data %s has no version", g.Data)
		}

		clk.Advance(299 * time.Second)
		got, err := svc.RedeemCode(ctx, redemption(code))
		if err != nil {
			t.Fatal(err)
		}
		want.AuthTime = want.AuthTime.Truncate(time.Second)
		if !reflect.DeepEqual(got.Authorization, want) || got.FamilyID != g.FamilyID {
			t.Errorf("redeemed\n%+v\nwant\n%+v", got, want)
		}

		// A refresh token issued from it, then the code used again: the
		// family goes.
		rt, err := svc.IssueRefresh(ctx, got.Authorization, got.FamilyID, RefreshPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.RedeemCode(ctx, redemption(code))
		ge := grantErrorOf(t, err, "the authorization code was used before; the tokens issued from it are revoked")
		if !errors.Is(err, storage.ErrConsumed) || ge.FamilyID != g.FamilyID || ge.Revoked != 2 {
			t.Errorf("reuse: %+v, want ErrConsumed, family %s, 2 revoked", ge, g.FamilyID)
		}
		mustGone(t, st, storage.GrantRefreshToken, rt, clk.Now())
		_, err = svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "web"})
		grantErrorOf(t, err, "unknown, expired or revoked")
		_, err = svc.RedeemCode(ctx, redemption(code))
		grantErrorOf(t, err, "unknown or has expired")
	})
}

func TestCodeRefused(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		ctx := t.Context()
		for _, tc := range []struct {
			name   string
			auth   func(*Authorization)
			redeem func(*CodeRedemption)
			want   string
			cause  error
		}{
			{"another client", nil, func(r *CodeRedemption) { r.ClientID = "other" }, "issued to another client", nil},
			{"another redirect_uri", nil, func(r *CodeRedemption) { r.RedirectURI = "https://app.example.com/cb2" }, "redirect_uri is not the one", nil},
			{"no redirect_uri", nil, func(r *CodeRedemption) { r.RedirectURI = "" }, "redirect_uri is not the one", nil},
			{"no verifier", nil, func(r *CodeRedemption) { r.Verifier = "" }, "code_verifier is missing", nil},
			{"wrong verifier", nil, func(r *CodeRedemption) { r.Verifier = strings.Repeat("x", 43) }, "does not match", nil},
			{"plain not allowed", func(a *Authorization) { a.CodeChallenge, a.CodeChallengeMethod = verifier, pkce.Plain }, nil, "plain is not allowed", nil},
			{"downgrade", func(a *Authorization) { a.CodeChallenge, a.CodeChallengeMethod = "", "" }, nil, "had no code_challenge", pkce.ErrDowngrade},
			{"unknown code", nil, func(r *CodeRedemption) { r.Code = strings.Repeat("A", 43) }, "unknown or has expired", storage.ErrNotFound},
			{"no code", nil, func(r *CodeRedemption) { r.Code = "" }, "is missing", storage.ErrNotFound},
		} {
			a := authorization(clk)
			if tc.auth != nil {
				tc.auth(&a)
			}
			code, err := svc.IssueCode(ctx, a, 0)
			if err != nil {
				t.Fatal(err)
			}
			r := redemption(code)
			if tc.redeem != nil {
				tc.redeem(&r)
			}
			_, err = svc.RedeemCode(ctx, r)
			ge := grantErrorOf(t, err, tc.want)
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.cause)
			}
			if strings.Contains(ge.Description, code) || strings.Contains(ge.Description, verifier) {
				t.Errorf("%s: the description %q repeats a secret", tc.name, ge.Description)
			}
		}

		// Allowed variants: plain for a client that allows it, no PKCE, no
		// redirect_uri in the authorization request.
		for name, mod := range map[string]func(*Authorization, *CodeRedemption){
			"plain allowed": func(a *Authorization, r *CodeRedemption) {
				a.CodeChallenge, a.CodeChallengeMethod, r.AllowPlainPKCE = verifier, pkce.Plain, true
			},
			"no PKCE": func(a *Authorization, r *CodeRedemption) {
				a.CodeChallenge, a.CodeChallengeMethod, r.Verifier = "", "", ""
			},
			"no redirect_uri": func(a *Authorization, r *CodeRedemption) { a.RedirectURI, r.RedirectURI = "", "" },
		} {
			a := authorization(clk)
			var r CodeRedemption
			r = redemption("")
			mod(&a, &r)
			code, err := svc.IssueCode(ctx, a, 0)
			if err != nil {
				t.Fatal(err)
			}
			r.Code = code
			if _, err := svc.RedeemCode(ctx, r); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}

		// A code expires after its lifetime, 300 s unless the client says.
		short, err := svc.IssueCode(ctx, authorization(clk), 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		long, err := svc.IssueCode(ctx, authorization(clk), 0)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(30 * time.Second)
		_, err = svc.RedeemCode(ctx, redemption(short))
		grantErrorOf(t, err, "unknown or has expired")
		clk.Advance(270 * time.Second)
		_, err = svc.RedeemCode(ctx, redemption(long))
		grantErrorOf(t, err, "unknown or has expired")

		// A refresh token sent as a code is not found, and not consumed.
		rt, _ := newRefresh(t, svc, clk, RefreshPolicy{})
		_, err = svc.RedeemCode(ctx, redemption(rt))
		grantErrorOf(t, err, "unknown or has expired")
		if _, err := svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "web"}); err != nil {
			t.Errorf("the refresh token after its use as a code: %v", err)
		}
	})
}

// newRefresh redeems a new code and issues a refresh token under policy.
func newRefresh(t testing.TB, svc *Service, clk *clock, p RefreshPolicy) (string, RedeemedCode) {
	t.Helper()
	code, err := svc.IssueCode(t.Context(), authorization(clk), 0)
	if err != nil {
		t.Fatal(err)
	}
	red, err := svc.RedeemCode(t.Context(), redemption(code))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := svc.IssueRefresh(t.Context(), red.Authorization, red.FamilyID, p)
	if err != nil {
		t.Fatal(err)
	}
	return rt, red
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		ctx := t.Context()
		rt, red := newRefresh(t, svc, clk, RefreshPolicy{})
		g, err := st.GetGrant(ctx, HandleKey(storage.GrantRefreshToken, rt), clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if g.Key == rt || strings.Contains(string(g.Data), rt) || g.FamilyID != red.FamilyID || strings.Contains(string(g.Data), "code_challenge") {
			t.Errorf("stored %+v %s", g, g.Data)
		}

		clk.Advance(time.Hour)
		r1, err := svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "web"})
		if err != nil {
			t.Fatal(err)
		}
		if r1.Handle == rt || len(r1.Handle) < 43 || r1.FamilyID != red.FamilyID || r1.Subject != "alice" || r1.SessionID != "sess-1" ||
			!reflect.DeepEqual(r1.Scopes, red.Scopes) || !reflect.DeepEqual(r1.AMR, []string{"pwd"}) || r1.ACR != "sfa" || !r1.AuthTime.Equal(red.AuthTime) {
			t.Errorf("refreshed %+v", r1)
		}
		r2, err := svc.Refresh(ctx, RefreshRequest{Handle: r1.Handle, ClientID: "web"})
		if err != nil {
			t.Fatal(err)
		}

		// The first handle again: reuse, and the whole family goes.
		_, err = svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "web"})
		ge := grantErrorOf(t, err, "the refresh token was used before; the tokens issued from it are revoked")
		if !errors.Is(err, storage.ErrConsumed) || ge.FamilyID != red.FamilyID || ge.Revoked != 4 { // code, rt, r1, r2
			t.Errorf("reuse: %+v, want ErrConsumed, family %s, 4 revoked", ge, red.FamilyID)
		}
		if left, err := st.ListGrants(ctx, storage.PersistedGrantFilter{FamilyID: red.FamilyID}, clk.Now()); err != nil || len(left) != 0 {
			t.Errorf("family left %v %v", left, err)
		}
		_, err = svc.Refresh(ctx, RefreshRequest{Handle: r2.Handle, ClientID: "web"})
		grantErrorOf(t, err, "unknown, expired or revoked")
	})
}

func TestRefreshConcurrentRotation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		rt, _ := newRefresh(t, svc, clk, RefreshPolicy{})
		const n = 4
		errs := make(chan error, n)
		for range n {
			go func() {
				_, err := svc.Refresh(t.Context(), RefreshRequest{Handle: rt, ClientID: "web"})
				errs <- err
			}()
		}
		var ok, reused int
		for range n {
			switch err := <-errs; {
			case err == nil:
				ok++
			case errors.Is(err, storage.ErrConsumed):
				reused++
			default:
				// A loser that read the handle after the family went finds
				// nothing.
				var ge *GrantError
				if !errors.As(err, &ge) || !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("unexpected %v", err)
				}
			}
		}
		if ok != 1 || reused < 1 {
			t.Errorf("%d rotations succeeded and %d saw a reuse; want exactly 1 and at least 1", ok, reused)
		}
	})
}

func TestRefreshReUse(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		p := RefreshPolicy{Usage: ReUse}
		rt, _ := newRefresh(t, svc, clk, p)
		for range 3 {
			r, err := svc.Refresh(t.Context(), RefreshRequest{Handle: rt, ClientID: "web", Policy: p})
			if err != nil {
				t.Fatal(err)
			}
			if r.Handle != rt {
				t.Errorf("ReUse gave a new handle")
			}
		}
	})
}

func TestRefreshExpiration(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		ctx := t.Context()
		refresh := func(h string, p RefreshPolicy) (string, error) {
			r, err := svc.Refresh(ctx, RefreshRequest{Handle: h, ClientID: "web", Policy: p})
			return r.Handle, err
		}
		expires := func(h string) time.Time {
			g, err := st.GetGrant(ctx, HandleKey(storage.GrantRefreshToken, h), clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			return g.Expires
		}

		// Absolute (default): 30 days from the first issue, however often
		// it is rotated.
		start := clk.Now()
		abs, _ := newRefresh(t, svc, clk, RefreshPolicy{})
		for range 3 {
			clk.Advance(9 * day)
			h, err := refresh(abs, RefreshPolicy{})
			if err != nil {
				t.Fatal(err)
			}
			abs = h
		}
		if got := expires(abs); !got.Equal(start.Add(30 * day)) {
			t.Errorf("absolute: expires %v, want %v", got, start.Add(30*day))
		}
		clk.Advance(3 * day) // day 30
		_, err := refresh(abs, RefreshPolicy{})
		grantErrorOf(t, err, "unknown, expired or revoked")

		// Sliding: 15 days from the last use, never beyond the absolute 30.
		sliding := RefreshPolicy{Expiration: Sliding}
		start = clk.Now()
		sl, _ := newRefresh(t, svc, clk, sliding)
		if got := expires(sl); !got.Equal(start.Add(15 * day)) {
			t.Errorf("sliding: expires %v, want %v", got, start.Add(15*day))
		}
		clk.Advance(14 * day)
		if sl, err = refresh(sl, sliding); err != nil {
			t.Fatal(err)
		}
		if got := expires(sl); !got.Equal(start.Add(29 * day)) {
			t.Errorf("sliding after 14 days: expires %v, want %v", got, start.Add(29*day))
		}
		clk.Advance(14 * day)
		if sl, err = refresh(sl, sliding); err != nil {
			t.Fatal(err)
		}
		if got := expires(sl); !got.Equal(start.Add(30 * day)) {
			t.Errorf("sliding near the absolute end: expires %v, want %v", got, start.Add(30*day))
		}
		clk.Advance(2 * day)
		_, err = refresh(sl, sliding)
		grantErrorOf(t, err, "unknown, expired or revoked")

		// Sliding unused for longer than its window ends.
		idle, _ := newRefresh(t, svc, clk, sliding)
		clk.Advance(15 * day)
		_, err = refresh(idle, sliding)
		grantErrorOf(t, err, "unknown, expired or revoked")

		// ReUse and Sliding: the same handle, its expiry moved.
		reuse := RefreshPolicy{Usage: ReUse, Expiration: Sliding, SlidingLifetime: day, AbsoluteLifetime: 3 * day}
		start = clk.Now()
		ru, _ := newRefresh(t, svc, clk, reuse)
		for i := range 3 {
			clk.Advance(20 * time.Hour)
			h, err := refresh(ru, reuse)
			if err != nil {
				t.Fatalf("ReUse sliding refresh %d: %v", i, err)
			}
			if h != ru {
				t.Fatal("ReUse gave a new handle")
			}
			want := clk.Now().Add(day)
			if end := start.Add(3 * day); end.Before(want) {
				want = end
			}
			if got := expires(ru); !got.Equal(want) {
				t.Errorf("ReUse sliding %d: expires %v, want %v", i, got, want)
			}
		}
		clk.Advance(day)
		_, err = refresh(ru, reuse)
		grantErrorOf(t, err, "unknown, expired or revoked")
	})
}

func TestRefreshScopesAndClient(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		ctx := t.Context()
		rt, red := newRefresh(t, svc, clk, RefreshPolicy{})

		// Another client: refused, and the handle is not consumed.
		_, err := svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "other"})
		grantErrorOf(t, err, "issued to another client")

		// Wider: refused, naming what was not granted.
		_, err = svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "web", Scopes: []string{"openid", "api2", "email"}})
		if ge := grantErrorOf(t, err, "scope api2 email was not granted to the refresh token"); !errors.Is(ge, ErrScopeWidened) {
			t.Errorf("a widened scope is not ErrScopeWidened: %v", ge.Err)
		}

		// Narrower: the access token's scopes narrow; the next refresh may
		// ask for all that was first granted.
		r, err := svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "web", Scopes: []string{"api1"}})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Scopes, []string{"api1"}) {
			t.Errorf("narrowed to %v", r.Scopes)
		}
		r, err = svc.Refresh(ctx, RefreshRequest{Handle: r.Handle, ClientID: "web", Scopes: red.Scopes})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Scopes, red.Scopes) {
			t.Errorf("scopes %v, want %v", r.Scopes, red.Scopes)
		}
		_, err = svc.Refresh(ctx, RefreshRequest{ClientID: "web"})
		grantErrorOf(t, err, "the refresh token is missing")

		// A code is not a refresh token.
		code, _ := svc.IssueCode(ctx, authorization(clk), 0)
		_, err = svc.Refresh(ctx, RefreshRequest{Handle: code, ClientID: "web"})
		grantErrorOf(t, err, "unknown, expired or revoked")
		if _, err := svc.RedeemCode(ctx, redemption(code)); err != nil {
			t.Errorf("the code after its use as a refresh token: %v", err)
		}
	})
}

func TestIssueRefreshPolicyRefused(t *testing.T) {
	t.Parallel()
	svc := &Service{Grants: memory.New(memory.Options{})}
	if _, err := svc.IssueRefresh(t.Context(), Authorization{ClientID: "web"}, "", RefreshPolicy{Usage: "Once"}); err == nil || !strings.Contains(err.Error(), `"Once" is not OneTimeOnly or ReUse`) {
		t.Errorf("usage: %v", err)
	}
	if _, err := svc.IssueRefresh(t.Context(), Authorization{ClientID: "web"}, "", RefreshPolicy{Expiration: "Never"}); err == nil || !strings.Contains(err.Error(), `"Never" is not Absolute or Sliding`) {
		t.Errorf("expiration: %v", err)
	}
}

// BenchmarkCodeAndRefresh is the storage side of a code exchange with
// offline access on the memory store: issue a code, redeem it, issue a
// refresh token, rotate it once.
func BenchmarkCodeAndRefresh(b *testing.B) {
	clk := testsupport.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	store := memory.New(memory.Options{Now: clk.Now})
	liveSession(b, store, clk)
	svc := &Service{Grants: store, Now: clk.Now}
	b.ReportAllocs()
	for b.Loop() {
		rt, _ := newRefresh(b, svc, clk, RefreshPolicy{})
		if _, err := svc.Refresh(b.Context(), RefreshRequest{Handle: rt, ClientID: "web"}); err != nil {
			b.Fatal(err)
		}
	}
}

// In the last second of a family, whose absolute end is kept to the
// second, a refresh is refused as expired, not failed as a storage error.
func TestRefreshLastSecond(t *testing.T) {
	t.Parallel()
	clk := testsupport.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 500_000_000, time.UTC))
	svc := &Service{Grants: memory.New(memory.Options{Now: clk.Now}), Now: clk.Now}
	rt, err := svc.IssueRefresh(t.Context(), authorization(clk), "", RefreshPolicy{AbsoluteLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour - 300*time.Millisecond)
	_, err = svc.Refresh(t.Context(), RefreshRequest{Handle: rt, ClientID: "web"})
	grantErrorOf(t, err, "unknown, expired or revoked")
}

// Handles never start with '-', which a command line (signet token revoke
// TOKEN) would read as a flag: without the second draw, about 31 of these
// 2,000 would.
func TestHandleNeverStartsWithDash(t *testing.T) {
	t.Parallel()
	for range 2000 {
		h, key := newHandle(storage.GrantRefreshToken)
		if h[0] == '-' || len(h) != 43 || key != HandleKey(storage.GrantRefreshToken, h) {
			t.Fatalf("handle %q (key %q)", h, key)
		}
	}
}

// Codes and family ids begin with the time they were made, so that the
// store's indexes get them in order; their keys sort as their times do,
// the randomness after the prefix is a whole handle's, and handles without
// a prefix (refresh and reference handles, codes made before prefixes)
// keep the key they always had.
func TestCodesAndFamiliesInTimeOrder(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	var codes, keys, families []string
	for i := range 300 {
		now := start.Add(time.Duration(i*i) * time.Millisecond * 37)
		code, key := newCode(now)
		if len(code) != 53 || !opaque.Valid(code[10:]) || code[0] == '-' {
			t.Fatalf("code %q: want 10 characters of time, then a 256-bit handle", code)
		}
		sum := sha256.Sum256([]byte(storage.GrantAuthorizationCode + ":" + code))
		if key != code[:10]+base64.RawURLEncoding.EncodeToString(sum[:]) || key != HandleKey(storage.GrantAuthorizationCode, code) {
			t.Fatalf("code %q: key %q, want its time prefix then the SHA-256 of type and code", code, key)
		}
		codes, keys, families = append(codes, code), append(keys, key), append(families, newFamily(now))
	}
	for name, list := range map[string][]string{"codes": codes, "keys": keys, "families": families} {
		if !slices.IsSortedFunc(list, func(a, b string) int { return strings.Compare(a[:10], b[:10]) }) {
			t.Errorf("%s are not in the order of their times: %q", name, list[:5])
		}
	}
	if codes[0][:10] != "06H50O0600" {
		t.Errorf("time prefix of %v = %q, want 06H50O0600 (1796644800000 ms, base32hex)", start, codes[0][:10])
	}

	if got := KeyHash(keys[0]); got != keys[0][10:] {
		t.Errorf("KeyHash(%q) = %q, want the key after its time prefix", keys[0], got)
	}

	// Without a prefix, the key is the hash alone, as before.
	h, _ := newHandle(storage.GrantRefreshToken)
	for _, handle := range []string{h, "VVVVVVVVVV" + h[:42], "vvvvvvvvvv" + h, "0PSS8SQ1G0" + h + "A", ""} {
		sum := sha256.Sum256([]byte(storage.GrantAuthorizationCode + ":" + handle))
		if got := HandleKey(storage.GrantAuthorizationCode, handle); got != base64.RawURLEncoding.EncodeToString(sum[:]) || KeyHash(got) != got {
			t.Errorf("HandleKey(%q) = %q, want the hash alone", handle, got)
		}
	}
}
