package upstream_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/upstream"
)

const redirectURI = "https://signet.test/signin/corp/callback"

func newProvider(t testing.TB, o *op, opts ...upstream.Option) *upstream.Provider {
	t.Helper()
	p, err := upstream.New(upstream.Config{
		Name: "corp", Authority: o.authority(), ClientID: testClient, ClientSecret: testSecret,
		Scopes: []string{"profile", "email"}, RedirectURI: redirectURI,
	}, append([]upstream.Option{upstream.HTTPClient(o.srv.Client())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// authorize runs Start and follows the authorization URL to the callback,
// as the browser would; it returns what was kept and the callback's query.
func authorize(t *testing.T, p *upstream.Provider, o *op, so upstream.StartOptions) (upstream.Kept, url.Values) {
	t.Helper()
	authURL, kept, err := p.Start(t.Context(), so)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	c := *o.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), redirectURI+"?") {
		t.Fatalf("authorize: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return kept, loc.Query()
}

func TestHappyPath(t *testing.T) {
	t.Parallel()
	for _, methods := range [][]string{nil, {"client_secret_basic"}, {"private_key_jwt", "client_secret_post"}} {
		t.Run(strings.Join(methods, ","), func(t *testing.T) {
			t.Parallel()
			o := newOP(t, "/tenant")
			o.set(func(o *op) { o.authMethods = methods })
			p := newProvider(t, o)
			authURL, kept, err := p.Start(t.Context(), upstream.StartOptions{Prompt: "login", LoginHint: "alice@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			q := mustQuery(t, authURL)
			for k, want := range map[string]string{
				"prompt": "login", "login_hint": "alice@example.com", "scope": "openid profile email",
				"code_challenge_method": "S256", "state": kept.State, "nonce": kept.Nonce, "redirect_uri": redirectURI,
			} {
				if q.Get(k) != want {
					t.Errorf("authorization URL %s = %q, want %q", k, q.Get(k), want)
				}
			}
			for _, s := range []string{kept.State, kept.Nonce, kept.Verifier} {
				if len(s) != 43 || strings.Contains(authURL, kept.Verifier) {
					t.Errorf("kept %q: want 256 bits in base64url, the verifier absent from the URL", s)
				}
			}
			kept, cb := authorize(t, p, o, upstream.StartOptions{})
			res, err := p.Finish(t.Context(), kept, cb)
			if err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if res.Identity != (upstream.Identity{Issuer: o.issuer, Subject: "alice-sub"}) {
				t.Errorf("Identity = %+v", res.Identity)
			}
			if c := res.Claims; c.Name != "Alice Example" || c.GivenName != "Alice" || c.Email != "alice@example.com" || !c.EmailVerified || c.All["sub"] != "alice-sub" {
				t.Errorf("Claims = %+v", c)
			}
			if res.Tokens.IDToken == "" || res.Tokens.AccessToken == "" || res.Tokens.Expiry.IsZero() {
				t.Errorf("Tokens = %+v", res.Tokens)
			}
			want := "basic"
			if len(methods) == 2 {
				want = "post"
			}
			if got := o.lastAuth.Load(); got != want {
				t.Errorf("client authentication = %v, want %s", got, want)
			}
			// A second sign-in reads neither discovery nor the JWKS again.
			kept, cb = authorize(t, p, o, upstream.StartOptions{})
			if _, err := p.Finish(t.Context(), kept, cb); err != nil {
				t.Fatal(err)
			}
			if d, j := o.discoveryFetches.Load(), o.jwksFetches.Load(); d != 1 || j != 1 {
				t.Errorf("fetched discovery %d and JWKS %d times, want once each", d, j)
			}
			// The code is spent: replaying the callback fails at the token endpoint.
			var ue *upstream.UpstreamError
			if _, err := p.Finish(t.Context(), kept, cb); !errors.As(err, &ue) || ue.Code != "invalid_grant" || !ue.AtTokenEndpoint {
				t.Errorf("replayed callback: %v, want invalid_grant from the token endpoint", err)
			}
		})
	}
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query()
}

// TestRefused: each answer that must not sign anyone in, and what the
// error says.
func TestRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(o *op)
		// edit changes what was kept or the callback, as an attacker would.
		edit      func(k *upstream.Kept, q url.Values)
		class     error
		upstream  string // the UpstreamError code, instead of class
		mentioned string
	}{
		{name: "tampered signature", setup: func(o *op) {
			o.tamper = func(s string) string {
				parts := strings.Split(s, ".")
				sig := []byte(parts[2])
				if sig[5] == 'A' {
					sig[5] = 'B'
				} else {
					sig[5] = 'A'
				}
				return parts[0] + "." + parts[1] + "." + string(sig)
			}
		}, class: upstream.ErrInvalid, mentioned: "signature"},
		{name: "tampered payload", setup: func(o *op) {
			o.tamper = func(s string) string {
				parts := strings.Split(s, ".")
				return parts[0] + "." + b64(`{"iss":"`+o.issuer+`","sub":"mallory","aud":"`+testClient+`","exp":9999999999,"iat":1,"nonce":"x"}`) + "." + parts[2]
			}
		}, class: upstream.ErrInvalid, mentioned: "signature"},
		{name: "alg none", setup: func(o *op) {
			o.tamper = func(s string) string {
				parts := strings.Split(s, ".")
				return b64(`{"alg":"none"}`) + "." + parts[1] + "."
			}
		}, class: upstream.ErrInvalid, mentioned: "allowed algorithm"},
		{name: "HS256 keyed with the secret", setup: func(o *op) {
			o.tamper = func(s string) string {
				signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte(testSecret + testSecret + testSecret)}, nil)
				parts := strings.Split(s, ".")
				jws, _ := signer.Sign(mustB64(parts[1]))
				out, _ := jws.CompactSerialize()
				return out
			}
		}, class: upstream.ErrInvalid, mentioned: "allowed algorithm"},
		{name: "wrong nonce", setup: func(o *op) { o.claims = func(c map[string]any) { c["nonce"] = "another" } }, class: upstream.ErrInvalid, mentioned: "nonce"},
		{name: "no nonce", setup: func(o *op) { o.claims = func(c map[string]any) { delete(c, "nonce") } }, class: upstream.ErrInvalid, mentioned: "nonce"},
		{name: "wrong issuer", setup: func(o *op) {
			o.claims = func(c map[string]any) { c["iss"] = "https://evil.example" }
			o.callback = func(q url.Values) { q.Del("iss") }
			o.noIssParameter = true
		}, class: upstream.ErrInvalid, mentioned: "iss:"},
		{name: "no iss parameter from a provider that sends it", setup: func(o *op) {
			o.callback = func(q url.Values) { q.Del("iss") }
		}, class: upstream.ErrInvalid, mentioned: "RFC 9207"},
		{name: "wrong aud", setup: func(o *op) { o.claims = func(c map[string]any) { c["aud"] = "someone-else" } }, class: upstream.ErrInvalid, mentioned: "aud"},
		{name: "several aud without azp", setup: func(o *op) { o.claims = func(c map[string]any) { c["aud"] = []string{testClient, "other"} } }, class: upstream.ErrInvalid, mentioned: "azp"},
		{name: "azp another client", setup: func(o *op) { o.claims = func(c map[string]any) { c["azp"] = "other" } }, class: upstream.ErrInvalid, mentioned: "azp"},
		{name: "expired", setup: func(o *op) {
			o.claims = func(c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }
		}, class: upstream.ErrInvalid, mentioned: "expired"},
		{name: "no exp", setup: func(o *op) { o.claims = func(c map[string]any) { delete(c, "exp") } }, class: upstream.ErrInvalid, mentioned: "exp"},
		{name: "issued in the future", setup: func(o *op) {
			o.claims = func(c map[string]any) { c["iat"] = time.Now().Add(5 * time.Minute).Unix() }
		}, class: upstream.ErrInvalid, mentioned: "iat"},
		{name: "not yet valid", setup: func(o *op) {
			o.claims = func(c map[string]any) { c["nbf"] = time.Now().Add(5 * time.Minute).Unix() }
		}, class: upstream.ErrInvalid, mentioned: "not valid before"},
		{name: "no sub", setup: func(o *op) { o.claims = func(c map[string]any) { delete(c, "sub") } }, class: upstream.ErrInvalid, mentioned: "sub"},
		{name: "state from another browser", edit: func(k *upstream.Kept, q url.Values) {
			other, _ := url.ParseQuery("state=" + strings.Repeat("A", 43))
			q.Set("state", other.Get("state"))
		}, class: upstream.ErrState},
		{name: "nothing kept", edit: func(k *upstream.Kept, q url.Values) { *k = upstream.Kept{} }, class: upstream.ErrState},
		{name: "no state", edit: func(k *upstream.Kept, q url.Values) { q.Del("state") }, class: upstream.ErrState},
		{name: "state repeated", edit: func(k *upstream.Kept, q url.Values) { q.Add("state", q.Get("state")) }, class: upstream.ErrInvalid, mentioned: "repeats state"},
		{name: "upstream error", setup: func(o *op) {
			o.callback = func(q url.Values) {
				q.Del("code")
				q.Set("error", "access_denied")
				q.Set("error_description", "The user said \"no\"\n")
			}
		}, upstream: "access_denied", mentioned: `(The user said no)`},
		{name: "iss parameter mismatch", setup: func(o *op) {
			o.callback = func(q url.Values) { q.Set("iss", "https://evil.example") }
		}, class: upstream.ErrInvalid, mentioned: "RFC 9207"},
		{name: "neither code nor error", setup: func(o *op) { o.callback = func(q url.Values) { q.Del("code") } }, class: upstream.ErrInvalid, mentioned: "neither code nor error"},
		{name: "userinfo of another subject", setup: func(o *op) { o.userinfoSub = "bob-sub" }, class: upstream.ErrInvalid, mentioned: "userinfo's sub"},
		{name: "verifier not ours", edit: func(k *upstream.Kept, q url.Values) { k.Verifier = strings.Repeat("v", 43) }, upstream: "invalid_grant"},
		{name: "unknown kid", setup: func(o *op) { o.unpublished = true }, class: upstream.ErrInvalid, mentioned: "not in the JWKS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOP(t, "")
			if tc.setup != nil {
				o.set(tc.setup)
			}
			p := newProvider(t, o)
			kept, cb := authorize(t, p, o, upstream.StartOptions{})
			if tc.edit != nil {
				tc.edit(&kept, cb)
			}
			res, err := p.Finish(t.Context(), kept, cb)
			if err == nil {
				t.Fatalf("Finish = %+v, want an error", res.Identity)
			}
			if tc.upstream != "" {
				var ue *upstream.UpstreamError
				if !errors.As(err, &ue) || ue.Code != tc.upstream {
					t.Fatalf("Finish: %v, want the upstream's %s", err, tc.upstream)
				}
			} else if !errors.Is(err, tc.class) {
				t.Fatalf("Finish: %v, want %v", err, tc.class)
			}
			if !strings.Contains(err.Error(), tc.mentioned) {
				t.Errorf("Finish: %q does not mention %q", err, tc.mentioned)
			}
			if leaks(err.Error(), testSecret, kept.State, kept.Nonce, kept.Verifier, cb.Get("code")) {
				t.Errorf("Finish: %q carries a secret", err)
			}
		})
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func mustB64(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestEntraMultiTenant: the discovery issuer has {tenantid}; the ID token's
// iss must be that template with the token's own tid.
func TestEntraMultiTenant(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		claims func(map[string]any)
		cb     func(url.Values)
		noIss  bool // discovery does not promise the iss parameter
		ok     bool
		says   string
	}{
		{name: "right tid", ok: true},
		{name: "no iss parameter", cb: func(q url.Values) { q.Del("iss") }, noIss: true, ok: true},
		{name: "no iss parameter, promised", cb: func(q url.Values) { q.Del("iss") }, says: "RFC 9207"},
		{name: "another tenant's issuer", claims: func(c map[string]any) {
			c["iss"] = strings.Replace(c["iss"].(string), testTenant, "00000000-1111-2222-3333-444444444444", 1)
		}, says: "issuer of the token's tenant"},
		{name: "tid of another tenant", claims: func(c map[string]any) { c["tid"] = "00000000-1111-2222-3333-444444444444" }, says: "issuer of the token's tenant"},
		{name: "no tid", claims: func(c map[string]any) { delete(c, "tid") }, says: "no tid"},
		{name: "template itself", claims: func(c map[string]any) {
			c["iss"] = strings.Replace(c["iss"].(string), testTenant, "{tenantid}", 1)
			c["tid"] = "{tenantid}"
		}, says: "not a tenant id"},
		{name: "tid with a path", claims: func(c map[string]any) {
			c["tid"] = "x/../y"
			c["iss"] = strings.Replace(c["iss"].(string), testTenant, "x/../y", 1)
		}, says: "not a tenant id"},
		{name: "iss parameter of another tenant", cb: func(q url.Values) {
			q.Set("iss", strings.Replace(q.Get("iss"), testTenant, "00000000-1111-2222-3333-444444444444", 1))
		}, says: "is not the ID token's"},
		{name: "iss parameter off the template", cb: func(q url.Values) { q.Set("iss", "https://evil.example/x/v2.0") }, says: "RFC 9207"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := newOP(t, "/organizations/v2.0")
			o.issuer = o.srv.URL + "/{tenantid}/v2.0"
			o.set(func(o *op) { o.claims, o.callback, o.noIssParameter = tc.claims, tc.cb, tc.noIss })
			p := newProvider(t, o, upstream.EntraMultiTenant())
			kept, cb := authorize(t, p, o, upstream.StartOptions{})
			res, err := p.Finish(t.Context(), kept, cb)
			if tc.ok {
				want := upstream.Identity{Issuer: o.srv.URL + "/" + testTenant + "/v2.0", Subject: "alice-sub"}
				if err != nil || res.Identity != want || res.Claims.TenantID != testTenant {
					t.Fatalf("Finish = %+v, %v; want %+v", res, err, want)
				}
				return
			}
			if !errors.Is(err, upstream.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Finish: %v, want ErrInvalid saying %q", err, tc.says)
			}
		})
	}
	// Without the Entra treatment the same upstream is refused at
	// discovery: its issuer is not the authority.
	t.Run("single tenant checks exactly", func(t *testing.T) {
		t.Parallel()
		o := newOP(t, "/organizations/v2.0")
		o.issuer = o.srv.URL + "/{tenantid}/v2.0"
		p := newProvider(t, o)
		if _, _, err := p.Start(t.Context(), upstream.StartOptions{}); !errors.Is(err, upstream.ErrInvalid) || !strings.Contains(err.Error(), "not the configured authority") {
			t.Fatalf("Start: %v", err)
		}
	})
	t.Run("tenant authority checks exactly", func(t *testing.T) {
		t.Parallel()
		o := newOP(t, "/"+testTenant+"/v2.0")
		o.set(func(o *op) {
			o.claims = func(c map[string]any) { c["iss"] = o.srv.URL + "/00000000-1111-2222-3333-444444444444/v2.0" }
			o.callback = func(q url.Values) { q.Del("iss") }
			o.noIssParameter = true
		})
		p := newProvider(t, o, upstream.EntraMultiTenant())
		kept, cb := authorize(t, p, o, upstream.StartOptions{})
		if _, err := p.Finish(t.Context(), kept, cb); !errors.Is(err, upstream.ErrInvalid) || !strings.Contains(err.Error(), "iss") {
			t.Fatalf("Finish: %v", err)
		}
	})
}

// TestKeyRotation: an ID token signed by a key the cached JWKS lacks makes
// one refetch, and the sign-in succeeds.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	o := newOP(t, "")
	p := newProvider(t, o)
	kept, cb := authorize(t, p, o, upstream.StartOptions{})
	if _, err := p.Finish(t.Context(), kept, cb); err != nil {
		t.Fatal(err)
	}
	o.rotate()
	kept, cb = authorize(t, p, o, upstream.StartOptions{})
	if _, err := p.Finish(t.Context(), kept, cb); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if n := o.jwksFetches.Load(); n != 2 {
		t.Errorf("JWKS fetched %d times, want 2", n)
	}
	// A kid the upstream does not publish: one refetch, then a refusal.
	o.set(func(o *op) { o.unpublished = true })
	kept, cb = authorize(t, p, o, upstream.StartOptions{})
	if _, err := p.Finish(t.Context(), kept, cb); !errors.Is(err, upstream.ErrInvalid) {
		t.Fatalf("unknown kid: %v", err)
	}
	if n := o.jwksFetches.Load(); n != 3 {
		t.Errorf("JWKS fetched %d times, want 3", n)
	}
}

// TestSlowUpstream: a sign-in against an upstream that does not answer
// fails within the timeout, as ErrUnavailable; other providers are not
// held up.
func TestSlowUpstream(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"discovery", "token"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			o := newOP(t, "")
			p := newProvider(t, o, upstream.Timeout(300*time.Millisecond))
			var kept upstream.Kept
			var cb url.Values
			if where == "token" {
				kept, cb = authorize(t, p, o, upstream.StartOptions{})
			}
			o.set(func(o *op) { o.delay = 5 * time.Second })
			start := time.Now()
			var err error
			if where == "token" {
				_, err = p.Finish(t.Context(), kept, cb)
			} else {
				_, _, err = p.Start(t.Context(), upstream.StartOptions{})
			}
			if took := time.Since(start); !errors.Is(err, upstream.ErrUnavailable) || took > 2*time.Second {
				t.Fatalf("after %v: %v, want ErrUnavailable within the timeout", took, err)
			}
			// The caller's own deadline is honoured too.
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			if where == "discovery" {
				if _, _, err := p.Start(ctx, upstream.StartOptions{}); !errors.Is(err, upstream.ErrUnavailable) {
					t.Fatalf("with a caller's deadline: %v", err)
				}
			}
		})
	}
}

// TestNoRedirects: discovery behind a redirect is refused, not followed.
func TestNoRedirects(t *testing.T) {
	t.Parallel()
	o := newOP(t, "/real")
	mux := http.NewServeMux()
	mux.Handle("/", http.RedirectHandler(o.authority()+"/.well-known/openid-configuration", http.StatusFound))
	o2 := newOP(t, "")
	o2.srv.Config.Handler = mux
	p := newProvider(t, o2)
	if _, _, err := p.Start(t.Context(), upstream.StartOptions{}); !errors.Is(err, upstream.ErrInvalid) || !strings.Contains(err.Error(), "HTTP 302") {
		t.Fatalf("Start: %v", err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	good := upstream.Config{Name: "x", Authority: "https://idp.example", ClientID: "c", RedirectURI: redirectURI}
	for _, tc := range []struct {
		name string
		edit func(*upstream.Config)
		opts []upstream.Option
		says string
	}{
		{name: "http", edit: func(c *upstream.Config) { c.Authority = "http://idp.example" }, says: "must use https"},
		{name: "http loopback without the option", edit: func(c *upstream.Config) { c.Authority = "http://127.0.0.1:8080" }, says: "must use https"},
		{name: "http loopback allowed", edit: func(c *upstream.Config) { c.Authority = "http://127.0.0.1:8080" }, opts: []upstream.Option{upstream.AllowInsecureLoopback()}},
		{name: "http non-loopback with the option", edit: func(c *upstream.Config) { c.Authority = "http://idp.example" }, opts: []upstream.Option{upstream.AllowInsecureLoopback()}, says: "must use https"},
		{name: "relative", edit: func(c *upstream.Config) { c.Authority = "/idp" }, says: "not an absolute URL"},
		{name: "query", edit: func(c *upstream.Config) { c.Authority = "https://idp.example/?a=b" }, says: "no query"},
		{name: "no client", edit: func(c *upstream.Config) { c.ClientID = "" }, says: "client id"},
		{name: "no name", edit: func(c *upstream.Config) { c.Name = "" }, says: "name"},
		{name: "bad redirect", edit: func(c *upstream.Config) { c.RedirectURI = "/cb" }, says: "redirect URI"},
		{name: "bad scope", edit: func(c *upstream.Config) { c.Scopes = []string{"a b"} }, says: "scope"},
		{name: "bad timeout", opts: []upstream.Option{upstream.Timeout(0)}, says: "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := good
			if tc.edit != nil {
				tc.edit(&c)
			}
			_, err := upstream.New(c, tc.opts...)
			if tc.says == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("New: %v, want an error saying %q", err, tc.says)
			}
		})
	}
}

// TestStartOptions: prompt and login_hint are checked before they are
// passed on.
func TestStartOptions(t *testing.T) {
	t.Parallel()
	o := newOP(t, "")
	p := newProvider(t, o)
	for _, so := range []upstream.StartOptions{
		{Prompt: "none login"}, {Prompt: "bogus"}, {Prompt: "login "},
		{LoginHint: "a\nb"}, {LoginHint: strings.Repeat("a", 257)},
	} {
		if _, _, err := p.Start(t.Context(), so); err == nil {
			t.Errorf("Start(%+v) = nil error", so)
		}
	}
	u, _, err := p.Start(t.Context(), upstream.StartOptions{Prompt: "select_account consent"})
	if err != nil || mustQuery(t, u).Get("prompt") != "select_account consent" || mustQuery(t, u).Has("login_hint") {
		t.Errorf("Start = %q, %v", u, err)
	}
	u, _, err = p.Start(t.Context(), upstream.StartOptions{MaxAge: 90 * time.Second, HasMaxAge: true})
	if err != nil || mustQuery(t, u).Get("max_age") != "90" {
		t.Errorf("Start with max_age 90 s = %q, %v", u, err)
	}
	if u, _, err = p.Start(t.Context(), upstream.StartOptions{}); err != nil || mustQuery(t, u).Has("max_age") {
		t.Errorf("Start without max_age = %q, %v", u, err)
	}
}

// leaks reports whether msg carries one of the secrets.
func leaks(msg string, secrets ...string) bool {
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// TestJWKSOddKeys: keys Signet cannot use (an unknown type, an encryption
// key, a short RSA key) are skipped, not fatal to the set, and a token
// signed by a short RSA key is refused.
func TestJWKSOddKeys(t *testing.T) {
	t.Parallel()
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakJWK, _ := jose.JSONWebKey{Key: &weak.PublicKey, KeyID: "weak", Algorithm: "RS256", Use: "sig"}.MarshalJSON()
	o := newOP(t, "")
	o.set(func(o *op) {
		o.rawKeys = []json.RawMessage{
			json.RawMessage(`{"kty":"XYZ","kid":"future","x":"AA"}`),
			json.RawMessage(`{"kty":"oct","kid":"sym","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}`),
			weakJWK,
		}
	})
	p := newProvider(t, o)
	kept, cb := authorize(t, p, o, upstream.StartOptions{})
	if _, err := p.Finish(t.Context(), kept, cb); err != nil {
		t.Fatalf("with odd keys beside the good one: %v", err)
	}
	o.set(func(o *op) {
		o.tamper = func(s string) string {
			signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: weak, KeyID: "weak"}}, nil)
			jws, _ := signer.Sign(mustB64(strings.Split(s, ".")[1]))
			out, _ := jws.CompactSerialize()
			return out
		}
	})
	kept, cb = authorize(t, p, o, upstream.StartOptions{})
	if _, err := p.Finish(t.Context(), kept, cb); !errors.Is(err, upstream.ErrInvalid) || !strings.Contains(err.Error(), `kid "weak"`) {
		t.Fatalf("token signed by a 1024-bit key: %v", err)
	}
}

// TestSecretsNotPrinted: a Result or Kept printed or logged whole shows no
// token, state, nonce or verifier.
func TestSecretsNotPrinted(t *testing.T) {
	t.Parallel()
	o := newOP(t, "")
	p := newProvider(t, o)
	kept, cb := authorize(t, p, o, upstream.StartOptions{})
	res, err := p.Finish(t.Context(), kept, cb)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("signed in", "result", res, "tokens", res.Tokens, "kept", kept)
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %v %+v", *res, *res, *res, kept, kept), logged.String()} {
		if leaks(out, res.Tokens.IDToken, res.Tokens.AccessToken, kept.State, kept.Nonce, kept.Verifier) {
			t.Errorf("printed secrets: %s", out)
		}
	}
}
