package main

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/tokens"
)

func hintRing(t *testing.T) *signing.Ring {
	t.Helper()
	got, err := signing.Loader{DataDir: t.TempDir()}.Load(signing.Spec{Type: "Development"}, false)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := signing.NewRing(got.Keys, nil, signing.RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// An id_token_hint is an ID token: an access token the same keys signed
// (which names a user too, and whose aud may be a name that is also a
// client id) is refused, as userinfo refuses an ID token.
func TestVerifyIDTokenHintOnlyIDTokens(t *testing.T) {
	t.Parallel()
	const iss = "https://auth.example"
	ring := hintRing(t)
	svc := &tokens.Service{Signer: ring, Now: time.Now,
		Resources: func() tokens.Resources {
			return tokens.Resources{Scopes: []string{"api"}, ByScope: map[string][]string{"api": {"web"}}}
		}}
	web := &client.Client{ID: "web"}
	id, err := svc.IDToken(t.Context(), tokens.IDTokenRequest{Issuer: iss, ClientID: "web", Subject: "u-alice", AuthTime: time.Now(), SessionID: "sid"})
	if err != nil {
		t.Fatal(err)
	}
	hint, err := verifyIDTokenHint(ring, iss, id)
	if err != nil || hint.Subject != "u-alice" || hint.ClientID != "web" || hint.SessionID != "sid" {
		t.Fatalf("an ID token: %+v, %v", hint, err)
	}
	for _, typ := range []string{"", "JWT"} {
		svc.AccessTokenType = typ
		at, err := svc.AccessToken(t.Context(), tokens.AccessTokenRequest{Issuer: iss, Client: web, Subject: "u-alice", Scopes: []string{"api"}, AuthTime: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if hint, err := verifyIDTokenHint(ring, iss, at.JWT); err == nil {
			t.Errorf("an access token (typ %q) was taken as an id_token_hint: %+v", typ, hint)
		}
	}
	if _, err := verifyIDTokenHint(ring, "https://other.example", id); err == nil {
		t.Error("an ID token of another issuer was taken")
	}
}

// Behind a trusted proxy the throttle counts by the address the proxy
// saw, with or without the port some proxies add (Azure App Service's
// X-Forwarded-For has it); falling back to the proxy's own address would
// put every user in one bucket, which a few failures lock for everyone.
func TestClientIP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		trust bool
		xff   []string
		want  string
	}{
		{false, []string{"203.0.113.7"}, "10.0.0.1"},
		{true, nil, "10.0.0.1"},
		{true, []string{"203.0.113.7"}, "203.0.113.7"},
		{true, []string{"198.51.100.1, 203.0.113.7"}, "203.0.113.7"},
		{true, []string{"198.51.100.1", "203.0.113.7"}, "203.0.113.7"},
		{true, []string{"203.0.113.7:51234"}, "203.0.113.7"},
		{true, []string{"198.51.100.1:1, 203.0.113.7:51234"}, "203.0.113.7"},
		{true, []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{true, []string{"2001:db8::1"}, "2001:db8::1"},
		{true, []string{"not an address"}, "10.0.0.1"},
	} {
		r := httptest.NewRequest("POST", "/account/login", nil)
		r.RemoteAddr = "10.0.0.1:40000"
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientIP(tc.trust)(r); got != tc.want {
			t.Errorf("trust %v, X-Forwarded-For %q: %q, want %q", tc.trust, tc.xff, got, tc.want)
		}
	}
}
