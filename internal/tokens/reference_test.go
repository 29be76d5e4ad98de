package tokens

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/storage"
)

// refClient is a client of reference tokens with claims of its own.
var refClient = &client.Client{ID: "service", ReferenceTokens: true, AccessTokenLifetime: 10 * time.Minute,
	Claims: []byte(`{"client_tenant":"contoso"}`)}

// claimsOf decodes a token's JSON claims.
func claimsOf(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("claims %s: %v", data, err)
	}
	return m
}

// A reference token of client_credentials: a 43-character handle, stored
// only by its hash with the claims the JWT would carry, found by the handle
// until its exp and no longer.
func TestReferenceToken(t *testing.T) {
	t.Parallel()
	r := ring(t)
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		ctx := t.Context()
		svc.Signer, svc.Resources = r, resources
		req := AccessTokenRequest{Issuer: issuer, Client: refClient, Scopes: []string{"api1", "api2"}}
		at, err := svc.IssueAccessToken(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if at.JWT != "" || len(at.Handle) != 43 || !opaque.Valid(at.Handle) || at.Token() != at.Handle {
			t.Fatalf("token %+v: want a 43-character handle and no JWT", at)
		}
		if at.Lifetime != 10*time.Minute || at.Scope != "api1 api2" {
			t.Errorf("lifetime %v scope %q", at.Lifetime, at.Scope)
		}
		now := clk.Now()
		g, err := st.GetGrant(ctx, HandleKey(storage.GrantReferenceToken, at.Handle), now)
		if err != nil {
			t.Fatal(err)
		}
		exp := now.Add(10 * time.Minute).Unix()
		if g.Type != storage.GrantReferenceToken || g.ClientID != "service" || g.Subject != "" || g.SessionID != "" || g.FamilyID != "" ||
			g.Created.Unix() != now.Unix() || g.Expires.Unix() != exp || !g.Consumed.IsZero() {
			t.Errorf("record %+v", g)
		}
		if strings.Contains(string(g.Data), at.Handle) || g.Key == at.Handle {
			t.Error("the handle is stored")
		}
		// The claims are the JWT's, jti aside.
		jwt, err := svc.AccessToken(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		_, want := verified(t, r, jwt.JWT)
		got := claimsOf(t, g.Data)
		if id, _ := got["jti"].(string); len(id) < 22 || id == want["jti"] {
			t.Errorf("jti %q: want one of its own", id)
		}
		delete(got, "jti")
		delete(want, "jti")
		if !reflect.DeepEqual(got, want) {
			t.Errorf("stored claims\n%v\nwant the JWT's\n%v", got, want)
		}

		ref, err := svc.LookupReference(ctx, at.Handle, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if ref.ClientID != "service" || ref.Subject != "" || ref.FamilyID != "" || ref.Expires.Unix() != exp || ref.Issued.Unix() != now.Unix() ||
			!slices.Equal(ref.Scopes, []string{"api1", "api2"}) ||
			!slices.Equal(ref.Audience, []string{"https://api1.example.com", "https://api2.example.com"}) || string(ref.Claims) != string(g.Data) {
			t.Errorf("lookup %+v", ref)
		}

		// Alive until the second before exp, gone at exp.
		clk.Set(time.Unix(exp-1, 0))
		if _, err := svc.LookupReference(ctx, at.Handle, time.Time{}); err != nil {
			t.Errorf("a second before exp: %v", err)
		}
		if _, err := svc.LookupReference(ctx, at.Handle, time.Unix(exp, 0)); !errors.Is(err, ErrUnknownReference) {
			t.Errorf("at exp: %v, want ErrUnknownReference", err)
		}
		// A well-formed handle never issued, and the handle of another
		// type of grant, are unknown too.
		other, _ := newHandle(storage.GrantReferenceToken)
		if _, err := svc.LookupReference(ctx, other, time.Time{}); !errors.Is(err, ErrUnknownReference) {
			t.Errorf("a handle never issued: %v", err)
		}
		code, err := svc.IssueCode(ctx, authorization(clk), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.LookupReference(ctx, code, time.Time{}); !errors.Is(err, ErrUnknownReference) {
			t.Errorf("an authorization code as a reference token: %v", err)
		}
	})
}

// grantStoreFunc is a GrantStore whose GetGrant is get, for lookups that
// must not reach the store or whose store fails.
type grantStoreFunc struct {
	GrantStore
	get func(key string) (storage.PersistedGrant, error)
}

func (s grantStoreFunc) GetGrant(_ context.Context, key string, _ time.Time) (storage.PersistedGrant, error) {
	return s.get(key)
}

// A malformed handle is refused without a store read; a store that fails
// is a failure, never "unknown".
func TestLookupReferenceRefusals(t *testing.T) {
	t.Parallel()
	read := 0
	svc := &Service{Grants: grantStoreFunc{get: func(string) (storage.PersistedGrant, error) {
		read++
		return storage.PersistedGrant{}, storage.ErrNotFound
	}}}
	good, _ := newHandle(storage.GrantReferenceToken)
	for _, h := range []string{"", "x", good + "A", good[:42], good[:42] + "=", good[:42] + "+", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln",
		strings.Repeat("A", 42) + "B"} { // unused last bits set: not canonical
		if _, err := svc.LookupReference(t.Context(), h, time.Now()); !errors.Is(err, ErrUnknownReference) {
			t.Errorf("LookupReference(%q) = %v, want ErrUnknownReference", h, err)
		}
	}
	if read != 0 {
		t.Errorf("malformed handles cost %d store reads, want none", read)
	}
	if _, err := svc.LookupReference(t.Context(), good, time.Now()); !errors.Is(err, ErrUnknownReference) || read != 1 {
		t.Errorf("a well-formed unknown handle: %v after %d reads, want ErrUnknownReference after one", err, read)
	}

	down := errors.New("connection refused")
	failing := &Service{Grants: grantStoreFunc{get: func(string) (storage.PersistedGrant, error) { return storage.PersistedGrant{}, down }}}
	if _, err := failing.LookupReference(t.Context(), good, time.Now()); !errors.Is(err, down) || errors.Is(err, ErrUnknownReference) {
		t.Errorf("a failing store: %v, want its error and not ErrUnknownReference", err)
	}
	corrupt := &Service{Grants: grantStoreFunc{get: func(string) (storage.PersistedGrant, error) {
		return storage.PersistedGrant{Type: storage.GrantReferenceToken, Data: []byte(`{"aud":1}`)}, nil
	}}}
	if _, err := corrupt.LookupReference(t.Context(), good, time.Now()); err == nil || errors.Is(err, ErrUnknownReference) {
		t.Errorf("an unreadable record: %v, want an error other than ErrUnknownReference", err)
	}
}

// A user's reference token from a code: its record carries the user, the
// session and the code's family, its claims auth_time and amr; the code
// used again revokes it with the family.
func TestReferenceTokenFromCode(t *testing.T) {
	t.Parallel()
	r := ring(t)
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		ctx := t.Context()
		svc.Signer, svc.Resources = r, resources
		a := authorization(clk)
		code, err := svc.IssueCode(ctx, a, 0)
		if err != nil {
			t.Fatal(err)
		}
		red, err := svc.RedeemCode(ctx, redemption(code))
		if err != nil {
			t.Fatal(err)
		}
		at, err := svc.IssueAccessToken(ctx, AccessTokenRequest{Issuer: issuer, Client: refClient, Subject: red.Subject, Scopes: red.Scopes,
			AuthTime: red.AuthTime, SessionID: red.SessionID, AMR: red.AMR, From: red.Source()})
		if err != nil {
			t.Fatal(err)
		}
		ref, err := svc.LookupReference(ctx, at.Handle, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if ref.Subject != "alice" || ref.SessionID != "sess-1" || ref.FamilyID != red.FamilyID || ref.FamilyID == "" {
			t.Errorf("lookup %+v, want alice's, in session sess-1 and the code's family %q", ref, red.FamilyID)
		}
		c := claimsOf(t, ref.Claims)
		if c["sub"] != "alice" || c["auth_time"] != float64(a.AuthTime.Unix()) || !reflect.DeepEqual(c["amr"], []any{"pwd"}) || c["client_tenant"] != "contoso" {
			t.Errorf("claims %v", c)
		}
		rt, err := svc.IssueCodeRefresh(ctx, red, RefreshPolicy{})
		if err != nil {
			t.Fatal(err)
		}
		// The code again: the family goes, the reference token with it.
		_, err = svc.RedeemCode(ctx, redemption(code))
		grantErrorOf(t, err, "the authorization code was used before")
		if _, err := svc.LookupReference(ctx, at.Handle, time.Time{}); !errors.Is(err, ErrUnknownReference) {
			t.Errorf("after the code's reuse: %v, want the reference token revoked", err)
		}
		mustGone(t, st, storage.GrantRefreshToken, rt, clk.Now())
	})
}

// A reference token issued after its code or refresh token was presented
// again (the reuse revoked the family before the token joined it) is
// deleted at once, and the exchange fails.
func TestReferenceTokenRacingReuse(t *testing.T) {
	t.Parallel()
	r := ring(t)
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		ctx := t.Context()
		svc.Signer, svc.Resources = r, resources
		issue := func(a Authorization, from Source) {
			t.Helper()
			before, err := st.ListGrants(ctx, storage.PersistedGrantFilter{Type: storage.GrantReferenceToken}, clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.IssueAccessToken(ctx, AccessTokenRequest{Issuer: issuer, Client: refClient, Subject: a.Subject, Scopes: a.Scopes, From: from})
			ge := grantErrorOf(t, err, "was used again during its exchange; the tokens issued from it are revoked")
			if !errors.Is(ge, storage.ErrConsumed) || ge.FamilyID != from.FamilyID {
				t.Errorf("error %+v", ge)
			}
			after, err := st.ListGrants(ctx, storage.PersistedGrantFilter{Type: storage.GrantReferenceToken}, clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) {
				t.Errorf("%d reference tokens stored before, %d after: the one issued during the reuse is kept", len(before), len(after))
			}
		}

		// The code: redeemed, then presented again before the access
		// token is stored.
		code, err := svc.IssueCode(ctx, authorization(clk), 0)
		if err != nil {
			t.Fatal(err)
		}
		red, err := svc.RedeemCode(ctx, redemption(code))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RedeemCode(ctx, redemption(code)); err == nil {
			t.Fatal("a code redeemed twice")
		}
		issue(red.Authorization, red.Source())

		// The refresh token: rotated, then the old one presented again.
		rt, _ := newRefresh(t, svc, clk, RefreshPolicy{})
		refreshed, err := svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "web"})
		if err != nil {
			t.Fatal(err)
		}
		grantErrorOf(t, func() error { _, err := svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "web"}); return err }(), "the refresh token was used before")
		issue(refreshed.Authorization, refreshed.Source())
	})
}

// A reference token from a refresh joins the refresh token's family: a
// rotated refresh token used again revokes it; with ReUse, the family is
// the same.
func TestReferenceTokenFromRefresh(t *testing.T) {
	t.Parallel()
	r := ring(t)
	forEachBackend(t, func(t *testing.T, svc *Service, st storage.PersistedGrants, clk *clock) {
		ctx := t.Context()
		svc.Signer, svc.Resources = r, resources
		for _, usage := range []RefreshUsage{OneTimeOnly, ReUse} {
			rt, red := newRefresh(t, svc, clk, RefreshPolicy{Usage: usage})
			refreshed, err := svc.Refresh(ctx, RefreshRequest{Handle: rt, ClientID: "web", Policy: RefreshPolicy{Usage: usage}})
			if err != nil {
				t.Fatal(err)
			}
			at, err := svc.IssueAccessToken(ctx, AccessTokenRequest{Issuer: issuer, Client: refClient, Subject: refreshed.Subject,
				Scopes: refreshed.Scopes, SessionID: refreshed.SessionID, From: refreshed.Source()})
			if err != nil {
				t.Fatalf("%s: %v", usage, err)
			}
			ref, err := svc.LookupReference(ctx, at.Handle, time.Time{})
			if err != nil || ref.FamilyID != red.FamilyID {
				t.Fatalf("%s: lookup %+v, %v; want the family %q", usage, ref, err, red.FamilyID)
			}
			// Revoking the family (a revocation endpoint's or a reuse's
			// DeleteGrants) revokes the reference token.
			n, err := st.DeleteGrants(ctx, storage.PersistedGrantFilter{FamilyID: ref.FamilyID})
			if err != nil || n < 3 {
				t.Errorf("%s: DeleteGrants of the family = %d, %v; want the code, its refresh token(s) and the reference token", usage, n, err)
			}
			if _, err := svc.LookupReference(ctx, at.Handle, time.Time{}); !errors.Is(err, ErrUnknownReference) {
				t.Errorf("%s: after the family's revocation: %v", usage, err)
			}
		}
	})
}

// A JWT client's access token touches no store: the service has none.
func TestJWTClientNeedsNoStore(t *testing.T) {
	t.Parallel()
	svc := &Service{Signer: ring(t), Resources: resources}
	at, err := svc.IssueAccessToken(t.Context(), AccessTokenRequest{Issuer: issuer, Client: &client.Client{ID: "app"}, Scopes: []string{"api1"}})
	if err != nil || at.Handle != "" || strings.Count(at.Token(), ".") != 2 {
		t.Fatalf("IssueAccessToken = %+v, %v; want a JWT", at, err)
	}
}

// FuzzLookupReference: whatever a request sends as a token, the lookup
// never panics, reads the store only for a handle in its one canonical
// form, and answers an unknown one with ErrUnknownReference.
func FuzzLookupReference(f *testing.F) {
	good, _ := newHandle(storage.GrantReferenceToken)
	for _, s := range []string{"", good, good + "=", good[:42], strings.Repeat("A", 42) + "B", "eyJhbGciOiJub25lIn0.e30.", "\x00\xff", strings.Repeat("-", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, handle string) {
		read := false
		svc := &Service{Grants: grantStoreFunc{get: func(key string) (storage.PersistedGrant, error) {
			read = true
			if key != HandleKey(storage.GrantReferenceToken, handle) {
				t.Errorf("read key %q for handle %q", key, handle)
			}
			return storage.PersistedGrant{}, storage.ErrNotFound
		}}}
		_, err := svc.LookupReference(context.Background(), handle, time.Unix(1_800_000_000, 0))
		if !errors.Is(err, ErrUnknownReference) {
			t.Errorf("LookupReference(%q) = %v, want ErrUnknownReference", handle, err)
		}
		if read != opaque.Valid(handle) {
			t.Errorf("LookupReference(%q) read the store: %v; the handle is canonical: %v", handle, read, opaque.Valid(handle))
		}
	})
}
