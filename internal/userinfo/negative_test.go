package userinfo_test

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/internal/userinfo"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

var all = []string{"openid", "profile", "email", "offline_access", "api1"}

// The issue's negative tests of the token endpoint, each with its error.
func TestCodeRefused(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		v := oauth2.GenerateVerifier()
		wantError(t, "missing verifier", e.exchange(e.code("web", webRedirect, v, all...), ""), 400, "invalid_grant", "code_verifier")
		wantError(t, "wrong verifier", e.exchange(e.code("web", webRedirect, v, all...), oauth2.GenerateVerifier()), 400, "invalid_grant", "code_verifier")
		// plain: the verifier is the challenge itself, refused to a client
		// without allowPlainTextPkce.
		plain, err := e.tokens.IssueCode(e.ctx, tokensAuthorization("web", webRedirect, v, "plain", e.clock.Now()), 0)
		if err != nil {
			t.Fatal(err)
		}
		wantError(t, "plain verifier", e.exchange(plain, v), 400, "invalid_grant", "plain")
		// A verifier for a code issued without a challenge: the downgrade.
		wantError(t, "verifier without challenge", e.exchange(e.code("web", webRedirect, "", all...), v), 400, "invalid_grant", "code_challenge")

		// Another client's code, another redirect_uri, an expired code.
		wantError(t, "another client's code", e.exchange(e.code("other", webRedirect, v, all...), v), 400, "invalid_grant", "issued to another client")
		f := url.Values{"grant_type": {"authorization_code"}, "code": {e.code("web", webRedirect, v, all...)}, "redirect_uri": {"https://app.example.com/other"}, "code_verifier": {v}}
		wantError(t, "another redirect_uri", e.token(f), 400, "invalid_grant", "redirect_uri is not the one of the authorization request")
		f.Set("code", e.code("web", webRedirect, v, all...))
		f.Del("redirect_uri")
		wantError(t, "no redirect_uri", e.token(f), 400, "invalid_grant", "redirect_uri is not the one")
		old := e.code("web", webRedirect, v, all...)
		e.clock.Advance(301 * time.Second)
		wantError(t, "expired code", e.exchange(old, v), 400, "invalid_grant", "unknown or has expired")
		wantError(t, "unknown code", e.exchange("nope", v), 400, "invalid_grant", "unknown or has expired")
	})
}

func tokensAuthorization(clientID, redirect, challenge, method string, now time.Time) tokens.Authorization {
	return tokens.Authorization{ClientID: clientID, Subject: "alice-id", Scopes: all, RedirectURI: redirect, CodeChallenge: challenge, CodeChallengeMethod: method, AuthTime: now}
}

// A code used twice: the second use fails, and the refresh token of the
// first is revoked (RFC 6749 §4.1.2).
func TestCodeReuse(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		v := oauth2.GenerateVerifier()
		code := e.code("web", webRedirect, v, all...)
		first := e.exchange(code, v)
		if first.status != 200 || first.str("refresh_token") == "" {
			t.Fatalf("first exchange: %d %v", first.status, first.body)
		}
		e.clock.Advance(30 * time.Second) // oidcc-codereuse-30seconds
		wantError(t, "code reused", e.exchange(code, v), 400, "invalid_grant", "used before; the tokens issued from it are revoked")
		wantError(t, "refresh token of the first exchange", e.refresh(first.str("refresh_token"), ""), 400, "invalid_grant", "unknown, expired or revoked")
	})
}

// A rotated refresh token presented again fails and revokes its family:
// the one it was rotated into fails too. A widened scope is invalid_scope
// (RFC 6749 §5.2: "exceeds the scope granted") and leaves the token
// usable; another client's refresh token is invalid_grant.
func TestRefreshRefused(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		v := oauth2.GenerateVerifier()
		first := e.exchange(e.code("web", webRedirect, v, "openid", "offline_access"), v)
		rt1 := first.str("refresh_token")
		wantError(t, "scope widened", e.refresh(rt1, "openid api1"), 400, "invalid_scope", "scope api1 was not granted")
		second := e.refresh(rt1, "")
		rt2 := second.str("refresh_token")
		if second.status != 200 || rt2 == "" || rt2 == rt1 {
			t.Fatalf("refresh: %d %v", second.status, second.body)
		}
		wantError(t, "refresh token reused", e.refresh(rt1, ""), 400, "invalid_grant", "used before; the tokens issued from it are revoked")
		wantError(t, "the family's newer token", e.refresh(rt2, ""), 400, "invalid_grant", "unknown, expired or revoked")

		ro := e.exchangeAs("other", e.code("other", webRedirect, v, all...), v).str("refresh_token")
		wantError(t, "another client's refresh token", e.refresh(ro, ""), 400, "invalid_grant", "issued to another client")
		wantError(t, "missing refresh token", e.refresh("", ""), 400, "invalid_request", "missing")

		// A client that lists refresh_token but lost offline access.
		c := e.clients["other"]
		c.GrantTypes, c.AllowOfflineAccess = []string{"authorization_code", "refresh_token"}, false
		f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ro}}
		r, _ := http.NewRequest(http.MethodPost, e.issuer+"/connect/token", strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth("other", e.secret)
		wantError(t, "client without offline access", e.do(r), 400, "invalid_grant", "allowOfflineAccess: false")
	})
}

// A disabled user, and a removed one, get no tokens from a code or a
// refresh token, and userinfo refuses their access tokens.
func TestDisabledUser(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		v := oauth2.GenerateVerifier()
		first := e.exchange(e.code("web", webRedirect, v, all...), v)
		code := e.code("web", webRedirect, v, all...)
		if err := e.store.UpdateUser(e.ctx, "alice-id", func(u *storage.User) error { u.Disabled = true; return nil }); err != nil {
			t.Fatal(err)
		}
		wantError(t, "code of a disabled user", e.exchange(code, v), 400, "invalid_grant", "is disabled")
		wantError(t, "refresh of a disabled user", e.refresh(first.str("refresh_token"), ""), 400, "invalid_grant", "is disabled")
		a := e.userinfo(first.str("access_token"))
		if a.status != 401 || !strings.Contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) || !strings.Contains(a.str("error_description"), "disabled") {
			t.Errorf("userinfo of a disabled user: %d %v %v", a.status, a.header, a.body)
		}
		if err := e.store.DeleteUser(context.Background(), "alice-id"); err != nil {
			t.Fatal(err)
		}
		wantError(t, "userinfo of a removed user", e.userinfo(first.str("access_token")), 401, "invalid_token", "no longer exists")
	})
}

// Userinfo's refusals, as RFC 6750 §3 has them.
func TestUserInfoRefused(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		v := oauth2.GenerateVerifier()
		good := e.exchange(e.code("web", webRedirect, v, all...), v)
		noOpenID := e.exchange(e.code("web", webRedirect, v, "profile", "api1"), v)
		// The token endpoint grants no identity scope with
		// client_credentials; a token for a client itself that has openid
		// anyway (signed by an older version, or by hand) is refused.
		machineClient, err := e.clients.Client(t.Context(), "machine")
		if err != nil {
			t.Fatal(err)
		}
		machine, err := e.tokens.AccessToken(t.Context(), tokens.AccessTokenRequest{Issuer: e.issuer, Client: machineClient, Scopes: []string{"openid", "api1"}})
		if err != nil {
			t.Fatal(err)
		}

		// No token: a bare challenge, no error code (§3.1).
		a := e.userinfo("")
		if a.status != 401 || a.header.Get("WWW-Authenticate") != "Bearer" || a.body != nil {
			t.Errorf("no token: %d %q %v", a.status, a.header.Get("WWW-Authenticate"), a.body)
		}
		wantError(t, "client_credentials token", e.userinfo(machine.JWT), 401, "invalid_token", "client_credentials")
		wantError(t, "ID token", e.userinfo(good.str("id_token")), 401, "invalid_token", "not an access token")
		wantError(t, "garbage", e.userinfo("abc.def.ghi"), 401, "invalid_token", "not valid")
		tampered := good.str("access_token")
		tampered = tampered[:len(tampered)-4] + "AAAA"
		wantError(t, "tampered", e.userinfo(tampered), 401, "invalid_token", "signature")
		a = e.userinfo(noOpenID.str("access_token"))
		if a.status != 403 || a.header.Get("WWW-Authenticate") != `Bearer error="insufficient_scope", error_description="the access token does not grant the openid scope; sign in with scope openid", scope="openid"` {
			t.Errorf("without openid: %d %q", a.status, a.header.Get("WWW-Authenticate"))
		}
		wantError(t, "both header and body", e.do(post(e, url.Values{"access_token": {good.str("access_token")}}.Encode(), "Bearer "+good.str("access_token"))), 400, "invalid_request", "one way only")
		r, _ := http.NewRequest(http.MethodGet, e.issuer+userinfo.Path+"?access_token="+good.str("access_token"), nil)
		wantError(t, "token in the query", e.do(r), 400, "invalid_request", "URL")
		r, _ = http.NewRequest(http.MethodDelete, e.issuer+userinfo.Path, nil)
		if a := e.do(r); a.status != 405 || a.header.Get("Allow") != "GET, POST" {
			t.Errorf("DELETE: %d %v", a.status, a.header)
		}
		e.clock.Advance(time.Hour + userinfo.Leeway + time.Second)
		wantError(t, "expired", e.userinfo(good.str("access_token")), 401, "invalid_token", "expired")
	})
}

// Tokens the ring signed but userinfo must not serve: another issuer, a
// typ of another kind of token, not valid yet, no exp; and the leeway on
// exp.
func TestUserInfoClaimsChecked(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(time.Now().Truncate(time.Second))
	e := newEnv(t, memory.New(memory.Options{Now: clock.Now}), clock, newRing(t, "ES256", "RS256"))
	now := clock.Now().Unix()
	good := map[string]any{"iss": e.issuer, "sub": "alice-id", "client_id": "web", "scope": "openid profile", "exp": now + 60, "nbf": now, "auth_time": now - 60}
	with := func(k string, v any) map[string]any {
		c := maps.Clone(good)
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	sign := func(typ string, claims map[string]any) string {
		tok, _, err := e.ring.Sign(typ, claims)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	if a := e.userinfo(sign("at+jwt", good)); a.status != 200 || a.str("name") != "Alice Liddell" {
		t.Fatalf("good: %d %v", a.status, a.body)
	}
	if a := e.userinfo(sign("JWT", with("exp", now-int64(userinfo.Leeway/time.Second)+1))); a.status != 200 {
		t.Errorf("typ JWT, expired within the leeway: %d %v", a.status, a.body)
	}
	wantError(t, "another issuer", e.userinfo(sign("at+jwt", with("iss", "https://evil.example"))), 401, "invalid_token", "not by this server")
	wantError(t, "logout token", e.userinfo(sign("logout+jwt", good)), 401, "invalid_token", "typ is 'logout+jwt'")
	wantError(t, "no typ", e.userinfo(sign("", good)), 401, "invalid_token", "typ")
	wantError(t, "not yet valid", e.userinfo(sign("at+jwt", with("nbf", now+3600))), 401, "invalid_token", "not valid yet")
	wantError(t, "no exp", e.userinfo(sign("at+jwt", with("exp", nil))), 401, "invalid_token", "no exp")
	wantError(t, "scope an array", e.userinfo(sign("at+jwt", with("scope", []string{"openid"}))), 401, "invalid_token", "not an access token")
	wantError(t, "unknown user", e.userinfo(sign("at+jwt", with("sub", "bob-id"))), 401, "invalid_token", "no longer exists")
}
