package main

import (
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/signetid/signet/internal/upstream"
)

// TestUpstreamSignetAsProvider: internal/upstream signs a person in
// through a real `signet serve` playing the upstream OpenID provider
// (issue 16's federation core against a conforming OP that is not its own
// code path): discovery, the login page, the code exchange with PKCE and
// a secret, and the RS256 ID token verified with Signet's JWKS. A
// callback brought to another browser's sign-in is refused.
func TestUpstreamSignetAsProvider(t *testing.T) {
	t.Parallel()
	const (
		callback = "https://downstream.signet.test/signin/corp/callback"
		secret   = "federation-secret-of-the-downstream-0123456789"
	)
	h := newHost(t)
	addr := freePort(t)
	issuer := "http://" + addr
	config := h.config(fileKey(t, "rsa-openssl3.pfx"), `  - clientId: downstream
    clientName: Downstream Signet
    secrets:
      - value: `+secret+`
    allowedGrantTypes: [authorization_code]
    allowedScopes: [openid, profile, email]
    redirectUris: [`+callback+`]
issuer: `+issuer+`
users:
  - subjectId: e2e-carol
    username: carol
    password: `+e2eCarolPassword+`
    claims:
      name: Carol Config
      email: carol@example.com
      email_verified: true
`)
	h.serve(config, addr)

	p, err := upstream.New(upstream.Config{
		Name: "corp", Authority: issuer, ClientID: "downstream", ClientSecret: secret,
		Scopes: []string{"openid", "profile", "email"}, RedirectURI: callback,
	}, upstream.AllowInsecureLoopback())
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(b *e2eBrowser) (upstream.Kept, url.Values) {
		authURL, kept, err := p.Start(t.Context(), upstream.StartOptions{LoginHint: "carol"})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		return kept, e2eResponse(t, b.signIn(authURL, "carol", e2eCarolPassword), callback)
	}

	b := newE2EBrowser(t, http.DefaultTransport, addr)
	kept, q := signIn(b)
	if q.Get("iss") != issuer {
		t.Errorf("Signet's callback iss = %q, want %q (RFC 9207)", q.Get("iss"), issuer)
	}
	res, err := p.Finish(t.Context(), kept, q)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if res.Identity != (upstream.Identity{Issuer: issuer, Subject: "e2e-carol"}) {
		t.Errorf("Identity = %+v", res.Identity)
	}
	if c := res.Claims; c.Name != "Carol Config" || c.Email != "carol@example.com" || !c.EmailVerified {
		t.Errorf("Claims = %+v", c)
	}

	// Mallory's browser starts a sign-in; the callback of carol's second
	// sign-in is brought to it: refused by state, and the code is unspent.
	_, malloryKept, err := p.Start(t.Context(), upstream.StartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kept, q = signIn(b)
	if _, err := p.Finish(t.Context(), malloryKept, q); !errors.Is(err, upstream.ErrState) {
		t.Fatalf("another browser's callback: %v, want ErrState", err)
	}
	// With the wrong nonce kept (a callback replayed into a sign-in that
	// shares the state by mistake), Signet's ID token is refused.
	wrong := kept
	wrong.Nonce = malloryKept.Nonce
	if _, err := p.Finish(t.Context(), wrong, q); !errors.Is(err, upstream.ErrInvalid) {
		t.Fatalf("wrong nonce: %v, want ErrInvalid", err)
	}
	// The code was spent by that exchange: Signet refuses it again.
	var ue *upstream.UpstreamError
	if _, err := p.Finish(t.Context(), kept, q); !errors.As(err, &ue) || ue.Code != "invalid_grant" {
		t.Fatalf("spent code: %v, want invalid_grant", err)
	}
}
