package tokens

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/signing"
)

const issuer = "https://auth.example.com"

// ring signs with an ES256 key (the default) and an RS256 one.
func ring(t testing.TB) *signing.Ring {
	t.Helper()
	dir := t.TempDir()
	var keys []*signing.Key
	for _, gen := range []func() (crypto.Signer, error){
		func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) },
		func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) },
	} {
		key, err := gen()
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "key.pem")
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := signing.Loader{DataDir: dir}.Load(signing.Spec{Type: "Development", FilePath: path}, false)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, got.Keys...)
	}
	r, err := signing.NewRing(keys, nil, signing.RingOptions{Algorithms: []string{"ES256", "RS256"}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func resources() Resources {
	return Resources{Scopes: []string{"api1", "api2", "shared"}, ByScope: map[string][]string{
		"api1":   {"https://api1.example.com"},
		"api2":   {"https://api2.example.com"},
		"shared": {"https://api1.example.com", "https://api2.example.com"},
	}}
}

// verified parses tok, checks its signature with the ring's published key
// of its kid, and returns its header and claims.
func verified(t *testing.T, r *signing.Ring, tok string) (jose.Header, map[string]any) {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Headers[0]
	var key *signing.Key
	for _, k := range r.Published() {
		if k.ID == h.KeyID {
			key = k
		}
	}
	if key == nil {
		t.Fatalf("kid %q is not published", h.KeyID)
	}
	var claims map[string]any
	if err := parsed.Claims(key.Public, &claims); err != nil {
		t.Fatal(err)
	}
	return h, claims
}

func TestAccessToken(t *testing.T) {
	t.Parallel()
	r := ring(t)
	now := time.Unix(1_700_000_000, 0)
	svc := &Service{Signer: r, Resources: resources, Now: func() time.Time { return now }}
	app := &client.Client{ID: "app", AccessTokenLifetime: 10 * time.Minute}
	withClaims := &client.Client{ID: "tenant-app", Claims: []byte(`{"client_tenant":"contoso","client_roles":["a","b"]}`)}
	for _, tc := range []struct {
		name    string
		svc     Service
		req     AccessTokenRequest
		alg     string
		typ     string
		aud     any
		sub     string
		exp     int64
		extra   map[string]any
		absents []string
	}{
		{"one scope, one resource", *svc, AccessTokenRequest{Issuer: issuer, Client: app, Scopes: []string{"api1"}}, "ES256", "at+jwt", "https://api1.example.com", "app", 600, nil, []string{"client_tenant"}},
		{"resources in order, once", *svc, AccessTokenRequest{Issuer: issuer, Client: app, Scopes: []string{"api2", "shared", "api1"}}, "ES256", "at+jwt", []any{"https://api2.example.com", "https://api1.example.com"}, "app", 600, nil, nil},
		{"no resource: the static audience", *svc, AccessTokenRequest{Issuer: issuer + "/", Client: app, Scopes: []string{"other"}}, "ES256", "at+jwt", issuer + "/resources", "app", 600, nil, nil},
		{"a subject", *svc, AccessTokenRequest{Issuer: issuer, Client: app, Subject: "alice", Scopes: []string{"api1"}}, "ES256", "at+jwt", "https://api1.example.com", "alice", 600, nil, []string{"auth_time"}},
		{"a user's, with auth_time", *svc, AccessTokenRequest{Issuer: issuer, Client: app, Subject: "alice", Scopes: []string{"api1"}, AuthTime: now.Add(-time.Minute)}, "ES256", "at+jwt", "https://api1.example.com", "alice", 600,
			map[string]any{"auth_time": float64(now.Add(-time.Minute).Unix())}, nil},
		{"default lifetime, the client's claims", *svc, AccessTokenRequest{Issuer: issuer, Client: withClaims, Scopes: []string{"api1"}}, "ES256", "at+jwt", "https://api1.example.com", "tenant-app", 3600,
			map[string]any{"client_tenant": "contoso", "client_roles": []any{"a", "b"}}, nil},
		{"typ JWT, RS256", Service{Signer: r, Resources: resources, Now: svc.Now, AccessTokenType: "JWT", AccessTokenAlg: "RS256"}, AccessTokenRequest{Issuer: issuer, Client: app, Scopes: []string{"api1"}}, "RS256", "JWT", "https://api1.example.com", "app", 600, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, err := tc.svc.AccessToken(t.Context(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			h, claims := verified(t, r, at.JWT)
			if h.Algorithm != tc.alg || h.ExtraHeaders["typ"] != tc.typ {
				t.Errorf("header alg %s typ %v, want %s %s", h.Algorithm, h.ExtraHeaders["typ"], tc.alg, tc.typ)
			}
			scope := strings.Join(tc.req.Scopes, " ")
			if at.Scope != scope || at.Lifetime != time.Duration(tc.exp)*time.Second {
				t.Errorf("scope %q lifetime %v, want %q %ds", at.Scope, at.Lifetime, scope, tc.exp)
			}
			want := map[string]any{"iss": tc.req.Issuer, "aud": tc.aud, "client_id": tc.req.Client.ID, "sub": tc.sub, "scope": scope,
				"iat": float64(now.Unix()), "nbf": float64(now.Unix()), "exp": float64(now.Unix() + tc.exp)}
			for k, v := range tc.extra {
				want[k] = v
			}
			jti, _ := claims["jti"].(string)
			delete(claims, "jti")
			if len(jti) < 22 {
				t.Errorf("jti %q: want 128 random bits", jti)
			}
			if !reflect.DeepEqual(claims, want) {
				t.Errorf("claims\n%v\nwant\n%v", claims, want)
			}
		})
	}
	// Each token has its own jti.
	a, _ := svc.AccessToken(t.Context(), AccessTokenRequest{Issuer: issuer, Client: app, Scopes: []string{"api1"}})
	b, _ := svc.AccessToken(t.Context(), AccessTokenRequest{Issuer: issuer, Client: app, Scopes: []string{"api1"}})
	_, ca := verified(t, r, a.JWT)
	_, cb := verified(t, r, b.JWT)
	if ca["jti"] == cb["jti"] {
		t.Errorf("two tokens with jti %v", ca["jti"])
	}
}

// An algorithm no key signs with fails the token, saying why.
func TestAccessTokenWithoutKeyOfTheAlgorithm(t *testing.T) {
	t.Parallel()
	svc := &Service{Signer: ring(t), Resources: resources, AccessTokenAlg: "PS256"}
	_, err := svc.AccessToken(t.Context(), AccessTokenRequest{Issuer: issuer, Client: &client.Client{ID: "app"}, Scopes: []string{"api1"}})
	var nse *signing.NoSignerError
	if !errors.As(err, &nse) || !strings.Contains(err.Error(), "sign the access token: no key signs with PS256") {
		t.Errorf("err %v", err)
	}
}

// claims_supported names every claim an access token or an ID token has
// (with every optional one set), and nothing else.
func TestClaimsSupported(t *testing.T) {
	t.Parallel()
	var names []string
	for _, v := range []any{
		AccessTokenClaims{Audience: audience{"a"}, AuthTime: 1},
		IDTokenClaims{AuthTime: 1, Nonce: "n", SessionID: "s", AMR: []string{"pwd"}, ACR: "mfa", ATHash: "h"},
	} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		for k := range m {
			if !slices.Contains(names, k) {
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	published := slices.Sorted(slices.Values(ClaimsSupported))
	if !slices.Equal(names, published) {
		t.Errorf("access and ID tokens have %v; ClaimsSupported lists %v", names, published)
	}
}

// contextSigner records the context each signature is given.
type contextSigner struct {
	*signing.Ring
	got []any
}

type ctxKey struct{}

func (s *contextSigner) SignWithContext(ctx context.Context, alg, typ string, claims any) (string, *signing.Key, error) {
	s.got = append(s.got, ctx.Value(ctxKey{}))
	return s.SignWith(alg, typ, claims)
}

// TestContextSigner: a Signer that takes a context is given the request's,
// for the access token and the ID token alike.
func TestContextSigner(t *testing.T) {
	t.Parallel()
	s := &contextSigner{Ring: ring(t)}
	svc := &Service{Signer: s, Resources: resources}
	ctx := context.WithValue(t.Context(), ctxKey{}, "request")
	app := &client.Client{ID: "app"}
	if _, err := svc.IssueAccessToken(ctx, AccessTokenRequest{Issuer: issuer, Client: app, Scopes: []string{"api1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.IDToken(ctx, IDTokenRequest{Issuer: issuer, Subject: "alice", ClientID: "app"}); err != nil {
		t.Fatal(err)
	}
	if len(s.got) != 2 || s.got[0] != "request" || s.got[1] != "request" {
		t.Errorf("the signer was given %v; want the request's context twice", s.got)
	}
}
