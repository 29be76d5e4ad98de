package userinfo_test

import (
	"crypto"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/userinfo"
)

// A confidential client signs alice in as golang.org/x/oauth2 and go-oidc
// do: the code exchanged with its PKCE verifier, the ID token verified
// (signature RS256 by default, audience, nonce, at_hash of the access
// token, sid, amr, auth_time), userinfo read with the access token (GET
// and POST, header and body), the refresh token traded through a
// TokenSource for a new access token, ID token and a rotated refresh
// token.
func TestSignIn(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		verifier := oauth2.GenerateVerifier()
		code := e.code("web", webRedirect, verifier, "openid", "profile", "email", "offline_access", "api1")
		tok, err := e.config("web").Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("Exchange: %v", err)
		}
		if tok.RefreshToken == "" || tok.Expiry.IsZero() {
			t.Fatalf("token %+v: no refresh token or expiry", tok)
		}
		if s, _ := tok.Extra("scope").(string); s != "openid profile email offline_access api1" {
			t.Errorf("scope %q", s)
		}
		idt := verifyIDToken(t, e, "web", tok)
		if idt.Nonce != "n-0S6" {
			t.Errorf("nonce %q", idt.Nonce)
		}
		var cl struct {
			SID      string   `json:"sid"`
			AMR      []string `json:"amr"`
			AuthTime int64    `json:"auth_time"`
			Name     string   `json:"name"`
		}
		if err := idt.Claims(&cl); err != nil {
			t.Fatal(err)
		}
		if cl.SID != "sid-1" || !slices.Equal(cl.AMR, []string{"pwd"}) || cl.AuthTime != e.clock.Now().Add(-time.Minute).Unix() || cl.Name != "" {
			t.Errorf("ID token claims %+v (no user claims without alwaysIncludeUserClaimsInIdToken)", cl)
		}

		ui := e.userinfo(tok.AccessToken)
		if ui.status != 200 || ui.str("sub") != "alice-id" || ui.str("name") != "Alice Liddell" || ui.str("email") != "alice@example.com" ||
			ui.body["email_verified"] != true || ui.str("given_name") != "Alice" || ui.str("preferred_username") != "alice" {
			t.Errorf("userinfo %d %v", ui.status, ui.body)
		}
		if cc := ui.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("userinfo Cache-Control %q", cc)
		}
		for name, r := range map[string]*http.Request{
			"POST header": post(e, "", "Bearer "+tok.AccessToken),
			"POST body":   post(e, url.Values{"access_token": {tok.AccessToken}}.Encode(), ""),
		} {
			if a := e.do(r); a.status != 200 || a.str("sub") != "alice-id" {
				t.Errorf("userinfo %s: %d %v", name, a.status, a.body)
			}
		}

		e.clock.Advance(2 * time.Hour) // the access token has expired
		src := e.config("web").TokenSource(e.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken})
		next, err := src.Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if next.RefreshToken == "" || next.RefreshToken == tok.RefreshToken || next.AccessToken == tok.AccessToken {
			t.Errorf("refresh did not rotate: %+v", next)
		}
		idt2 := verifyIDToken(t, e, "web", next)
		var cl2 struct {
			AuthTime int64 `json:"auth_time"`
		}
		_ = idt2.Claims(&cl2)
		if idt2.Nonce != "" || cl2.AuthTime != cl.AuthTime {
			t.Errorf("refreshed ID token: nonce %q, auth_time %d (want none and %d)", idt2.Nonce, cl2.AuthTime, cl.AuthTime)
		}
		if a := e.userinfo(next.AccessToken); a.status != 200 {
			t.Errorf("userinfo with the refreshed token: %d %v", a.status, a.body)
		}
		// Narrowed to api1: an access token only, no ID token.
		a := e.refresh(next.RefreshToken, "api1")
		if a.status != 200 || a.str("scope") != "api1" || a.str("id_token") != "" || a.str("refresh_token") == "" {
			t.Errorf("narrowed refresh: %d %v", a.status, a.body)
		}
		// ...and the next refresh may ask for all again (RFC 6749 §6).
		if b := e.refresh(a.str("refresh_token"), ""); b.status != 200 || b.str("scope") != "openid profile email offline_access api1" {
			t.Errorf("refresh after a narrowed one: %d %v", b.status, b.body)
		}
	})
}

func post(e *env, body, authorization string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, e.issuer+userinfo.Path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	return r
}

// verifyIDToken checks tok's ID token as go-oidc does, at_hash included,
// against the ring's published keys.
func verifyIDToken(t *testing.T, e *env, clientID string, tok *oauth2.Token) *oidc.IDToken {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatalf("no id_token in %+v", tok)
	}
	var pubs []crypto.PublicKey
	for _, k := range e.ring.Published() {
		pubs = append(pubs, k.Public)
	}
	v := oidc.NewVerifier(e.issuer, &oidc.StaticKeySet{PublicKeys: pubs}, &oidc.Config{
		ClientID: clientID, Now: e.clock.Now, SupportedSigningAlgs: []string{"RS256", "PS256", "ES256"}})
	idt, err := v.Verify(e.ctx, raw)
	if err != nil {
		t.Fatalf("go-oidc: %v", err)
	}
	if idt.Subject != "alice-id" {
		t.Errorf("sub %q", idt.Subject)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	return idt
}

// A public client (an SPA) exchanges with client_id and its verifier from
// its origin, which gets CORS; its ID token is signed with the first of
// its algorithms the ring has (ES256, not PS256) and carries alice's
// claims (alwaysIncludeUserClaimsInIdToken).
func TestPublicClient(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		verifier := oauth2.GenerateVerifier()
		code := e.code("spa", spaOrigin+"/cb", verifier, "openid", "profile", "offline_access")
		f := url.Values{"grant_type": {"authorization_code"}, "client_id": {"spa"}, "code": {code}, "redirect_uri": {spaOrigin + "/cb"}, "code_verifier": {verifier}}
		r, _ := http.NewRequest(http.MethodPost, e.issuer+"/connect/token", strings.NewReader(f.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Origin", spaOrigin)
		a := e.do(r)
		if a.status != 200 || a.header.Get("Access-Control-Allow-Origin") != spaOrigin || a.str("refresh_token") == "" {
			t.Fatalf("public exchange: %d %v %v", a.status, a.header, a.body)
		}
		tok := (&oauth2.Token{AccessToken: a.str("access_token")}).WithExtra(a.body)
		idt := verifyIDToken(t, e, "spa", tok)
		var cl struct {
			Name string `json:"name"`
		}
		_ = idt.Claims(&cl)
		if cl.Name != "Alice Liddell" {
			t.Errorf("ID token user claims: name %q", cl.Name)
		}
		if h := strings.SplitN(a.str("id_token"), ".", 2)[0]; !strings.Contains(decode(h), `"alg":"ES256"`) {
			t.Errorf("ID token header %s, want ES256", decode(h))
		}
		// Userinfo from the SPA's origin: CORS, and the challenge exposed.
		r, _ = http.NewRequest(http.MethodGet, e.issuer+userinfo.Path, nil)
		r.Header.Set("Origin", spaOrigin)
		u := e.do(r)
		if u.status != 401 || u.header.Get("Access-Control-Allow-Origin") != spaOrigin || u.header.Get("Access-Control-Expose-Headers") != "WWW-Authenticate" {
			t.Errorf("userinfo from the SPA: %d %v", u.status, u.header)
		}
		r, _ = http.NewRequest(http.MethodOptions, e.issuer+userinfo.Path, nil)
		r.Header.Set("Origin", spaOrigin)
		r.Header.Set("Access-Control-Request-Method", "GET")
		if p := e.do(r); p.status != 204 || p.header.Get("Access-Control-Allow-Methods") != "GET, POST" {
			t.Errorf("userinfo preflight: %d %v", p.status, p.header)
		}

		// Its refresh, by client_id alone: refresh_token is not in its
		// grant types, authorization_code and allowOfflineAccess allow it.
		rf := url.Values{"grant_type": {"refresh_token"}, "client_id": {"spa"}, "refresh_token": {a.str("refresh_token")}}
		if b := e.token(rf); b.status != 200 || b.str("id_token") == "" {
			t.Errorf("public refresh: %d %v", b.status, b.body)
		}
		// A code without PKCE is refused to a public client.
		f.Set("code", e.code("spa", spaOrigin+"/cb", "", "openid"))
		f.Del("code_verifier")
		wantError(t, "public client, code without PKCE", e.token(f), 400, "invalid_grant", "issued without PKCE")
	})
}

func decode(s string) string {
	b, _ := base64.RawURLEncoding.DecodeString(s)
	return string(b)
}
