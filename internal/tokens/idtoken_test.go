package tokens

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/signing"
)

// oidcVerifier is go-oidc's verifier for client clientID over the ring's
// JWKS, served as discovery's jwks_uri would serve it, at time now.
func oidcVerifier(t *testing.T, r *signing.Ring, clientID string, now time.Time, algs ...string) *oidc.IDTokenVerifier {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		body, _ := r.JWKS()
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	keys := oidc.NewRemoteKeySet(t.Context(), srv.URL)
	return oidc.NewVerifier(issuer, keys, &oidc.Config{ClientID: clientID, SupportedSigningAlgs: algs, Now: func() time.Time { return now }})
}

func TestIDToken(t *testing.T) {
	t.Parallel()
	r := ring(t)
	now := time.Unix(1_700_000_000, 0)
	authTime := now.Add(-3 * time.Minute)
	svc := &Service{Signer: r, Resources: resources, Now: func() time.Time { return now }}
	at, err := svc.AccessToken(t.Context(), AccessTokenRequest{Issuer: issuer, Client: &client.Client{ID: "web"}, Subject: "alice", Scopes: []string{"openid", "api1"}})
	if err != nil {
		t.Fatal(err)
	}
	base := IDTokenRequest{Issuer: issuer, ClientID: "web", Subject: "alice", AuthTime: authTime, SessionID: "sess-1", AMR: []string{"pwd"}}
	for _, tc := range []struct {
		name    string
		mod     func(*IDTokenRequest)
		alg     string
		exp     time.Duration
		want    map[string]any // beyond the base claims
		absents []string
	}{
		{"RS256 by default, with nonce and at_hash", func(q *IDTokenRequest) { q.Nonce = "n-0S6_WzA2Mj"; q.AccessToken = at.JWT }, "RS256", 5 * time.Minute,
			map[string]any{"nonce": "n-0S6_WzA2Mj"}, nil},
		{"no nonce, no access token", func(*IDTokenRequest) {}, "RS256", 5 * time.Minute, nil, []string{"nonce", "at_hash"}},
		{"ES256 chosen by the client, a lifetime", func(q *IDTokenRequest) { q.Alg = "ES256"; q.AccessToken = at.JWT; q.Lifetime = time.Hour }, "ES256", time.Hour, nil, nil},
		{"user claims, reserved ones dropped", func(q *IDTokenRequest) {
			q.UserClaims = map[string]any{"name": "Alice Smith", "email": "alice@example.com", "email_verified": true, "sub": "mallory", "iss": "https://evil.example", "aud": "other"}
		}, "RS256", 5 * time.Minute, map[string]any{"name": "Alice Smith", "email": "alice@example.com", "email_verified": true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := base
			tc.mod(&req)
			tok, err := svc.IDToken(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			h, claims := verified(t, r, tok)
			if h.Algorithm != tc.alg || h.ExtraHeaders["typ"] != "JWT" || h.KeyID == "" {
				t.Errorf("header alg %s typ %v kid %q, want %s JWT and a kid", h.Algorithm, h.ExtraHeaders["typ"], h.KeyID, tc.alg)
			}
			if k := r.SignerFor(tc.alg); k == nil || h.KeyID != k.ID {
				t.Errorf("kid %q is not the ring's %s signer", h.KeyID, tc.alg)
			}
			want := map[string]any{"iss": issuer, "sub": "alice", "aud": "web", "iat": float64(now.Unix()), "exp": float64(now.Add(tc.exp).Unix()),
				"auth_time": float64(authTime.Unix()), "sid": "sess-1", "amr": []any{"pwd"}}
			if req.AccessToken != "" {
				want["at_hash"] = claims["at_hash"]
			}
			for k, v := range tc.want {
				want[k] = v
			}
			if !reflect.DeepEqual(claims, want) {
				t.Errorf("claims\n%v\nwant\n%v", claims, want)
			}
			for _, k := range tc.absents {
				if _, ok := claims[k]; ok {
					t.Errorf("claim %s is present", k)
				}
			}

			// A standard client library accepts it, nonce and at_hash included.
			idt, err := oidcVerifier(t, r, "web", now, tc.alg).Verify(t.Context(), tok)
			if err != nil {
				t.Fatalf("go-oidc: %v", err)
			}
			if idt.Nonce != req.Nonce {
				t.Errorf("go-oidc nonce %q, want %q", idt.Nonce, req.Nonce)
			}
			if req.AccessToken != "" {
				if idt.AccessTokenHash == "" {
					t.Fatal("no at_hash")
				}
				if err := idt.VerifyAccessToken(at.JWT); err != nil {
					t.Errorf("go-oidc at_hash: %v", err)
				}
				if err := idt.VerifyAccessToken(at.JWT + "x"); err == nil {
					t.Error("go-oidc accepted the at_hash of another access token")
				}
			}
		})
	}
}

// go-oidc refuses an ID token for another client, or once it has expired:
// the claims it checks are the ones issued.
func TestIDTokenRefusedByVerifier(t *testing.T) {
	t.Parallel()
	r := ring(t)
	now := time.Unix(1_700_000_000, 0)
	svc := &Service{Signer: r, Now: func() time.Time { return now }}
	tok, err := svc.IDToken(t.Context(), IDTokenRequest{Issuer: issuer, ClientID: "web", Subject: "alice", AuthTime: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oidcVerifier(t, r, "other", now, "RS256").Verify(t.Context(), tok); err == nil || !strings.Contains(err.Error(), "audience") {
		t.Errorf("another client: %v", err)
	}
	if _, err := oidcVerifier(t, r, "web", now.Add(DefaultIDTokenLifetime+time.Minute), "RS256").Verify(t.Context(), tok); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired: %v", err)
	}
}

func TestIDTokenErrors(t *testing.T) {
	t.Parallel()
	svc := &Service{Signer: ring(t)}
	if _, err := svc.IDToken(t.Context(), IDTokenRequest{Issuer: issuer, ClientID: "web", Subject: "alice", Alg: "PS256"}); err == nil ||
		!strings.Contains(err.Error(), "sign the ID token: no key signs with PS256") {
		t.Errorf("PS256: %v", err)
	}
	for _, req := range []IDTokenRequest{{ClientID: "web", Subject: "alice"}, {Issuer: issuer, Subject: "alice"}, {Issuer: issuer, ClientID: "web"}} {
		if _, err := svc.IDToken(t.Context(), req); err == nil || !strings.Contains(err.Error(), "an ID token needs") {
			t.Errorf("%+v: %v", req, err)
		}
	}
	if _, err := svc.IDToken(t.Context(), IDTokenRequest{Issuer: issuer, ClientID: "web", Subject: "alice", Alg: "HS256", AccessToken: "x"}); err == nil ||
		!strings.Contains(err.Error(), `"HS256"`) {
		t.Errorf("HS256: %v", err)
	}
}

// HalfHash follows OpenID Connect Core §3.1.3.6; the value is the example
// of its §A.3 (an RS256 ID token's at_hash).
func TestHalfHash(t *testing.T) {
	t.Parallel()
	got, err := HalfHash("RS256", "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y")
	if err != nil {
		t.Fatal(err)
	}
	if want := "77QmUPtjPfzWtF2AnpK9RQ"; got != want {
		t.Errorf("at_hash %s, want %s", got, want)
	}
	for alg, n := range map[string]int{"ES256": 22, "ES384": 32, "ES512": 43, "PS256": 22} {
		if h, err := HalfHash(alg, "x"); err != nil || len(h) != n {
			t.Errorf("%s: %q %v, want %d characters", alg, h, err, n)
		}
	}
}

// BenchmarkCodeExchangeTokens issues what a code exchange signs: an access
// token and an ID token with its at_hash.
func BenchmarkCodeExchangeTokens(b *testing.B) {
	r := ring(b)
	app := &client.Client{ID: "web"}
	for _, alg := range []string{"RS256", "ES256"} {
		b.Run(alg, func(b *testing.B) {
			svc := &Service{Signer: r, Resources: resources, AccessTokenAlg: alg}
			auth := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				at, err := svc.AccessToken(b.Context(), AccessTokenRequest{Issuer: issuer, Client: app, Subject: "alice", Scopes: []string{"openid", "api1"}})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := svc.IDToken(b.Context(), IDTokenRequest{Issuer: issuer, ClientID: app.ID, Subject: "alice", AuthTime: auth,
					Nonce: "n-0S6_WzA2Mj", SessionID: "sess-1", AMR: []string{"pwd"}, AccessToken: at.JWT, Alg: alg}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
