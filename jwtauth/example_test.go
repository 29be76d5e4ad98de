package jwtauth_test

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/jwtauth"
)

// issuer stands in for Signet (or any OpenID provider) in the examples: it
// serves discovery and a JWKS, and signs access tokens as Signet does
// (RS256, typ at+jwt, a kid).
type issuer struct {
	*httptest.Server
	down    atomic.Bool // answer 503, as a provider that is not up yet
	revoked atomic.Bool // the reference token is revoked
}

func startIssuer() *issuer {
	is := &issuer{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		if is.down.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]string{"issuer": is.URL, "jwks_uri": is.URL + "/jwks",
			"introspection_endpoint": is.URL + "/connect/introspect"})
	})
	// Introspection (RFC 7662) for the API resource "orders-api", which
	// knows one reference token, and then not: revoke sets revoked.
	mux.HandleFunc("POST /connect/introspect", func(w http.ResponseWriter, r *http.Request) {
		if id, secret, ok := r.BasicAuth(); !ok || id != "orders-api" || secret != "orders-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]string{"error": "invalid_client"})
			return
		}
		if r.PostFormValue("token") != "7Jq0cVz3pX2mZk9bL4sR" || is.revoked.Load() {
			writeJSON(w, map[string]bool{"active": false})
			return
		}
		writeJSON(w, map[string]any{"active": true, "iss": is.URL, "aud": []string{"https://api.example.com"},
			"sub": "client1", "client_id": "client1", "scope": "orders.read", "token_type": "Bearer",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: key("rsa").priv.Public(), KeyID: "signing-key-1", Algorithm: "RS256", Use: "sig"},
		}})
	})
	is.Server = httptest.NewServer(mux)
	return is
}

// token issues an access token for client1.
func (is *issuer) token(audience, scope string, lifetime time.Duration) string {
	return signWith(key("rsa").priv, "signing-key-1", map[string]any{
		"iss": is.URL, "aud": audience, "sub": "client1", "client_id": "client1", "scope": scope,
		"tenant": map[string]string{"id": "contoso"},
		"iat":    time.Now().Unix(), "nbf": time.Now().Unix(), "exp": time.Now().Add(lifetime).Unix(),
	})
}

func signWith(k crypto.Signer, kid string, claims any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		log.Fatal(err)
	}
	return tok
}

// New reads the issuer's discovery document and keys; Validate checks a
// token and returns its claims.
func ExampleNew() {
	issuer := startIssuer()
	defer issuer.Close()

	ctx := context.Background()
	v, err := jwtauth.New(ctx, jwtauth.Options{
		Issuer:   issuer.URL,
		Audience: "https://api.example.com",
	})
	if err != nil {
		log.Fatal(err) // the options are wrong
	}
	defer v.Close()

	claims, err := v.Validate(ctx, issuer.token("https://api.example.com", "api1 api2", time.Hour))
	if err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Println(claims.ClientID, claims.Scopes, claims.HasScope("api1"))
	// Output: client1 [api1 api2] true
}

// Static keys (a JWKS file, say) need no issuer to be reachable: for tests
// and tools.
func ExampleNew_staticKeys() {
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: key("rsa").priv.Public(), KeyID: "signing-key-1", Use: "sig"},
	}})
	v, err := jwtauth.New(context.Background(), jwtauth.Options{
		JWKS:     jwks,
		Issuer:   "https://auth.example.com",
		Audience: "https://api.example.com",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	token := signWith(key("rsa").priv, "signing-key-1", map[string]any{
		"iss": "https://auth.example.com", "aud": "https://api.example.com", "sub": "client1",
		"exp": time.Now().Add(time.Hour).Unix(),
	})
	claims, err := v.Validate(context.Background(), token)
	fmt.Println(claims.Subject, err, v.KeyIDs())
	// Output: client1 <nil> [signing-key-1]
}

// Validate's errors say what failed; errors.Is tells the reasons apart.
func ExampleValidator_Validate() {
	issuer := startIssuer()
	defer issuer.Close()
	ctx := context.Background()
	v, err := jwtauth.New(ctx, jwtauth.Options{Issuer: issuer.URL, Audience: "https://api.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	for _, token := range []string{
		issuer.token("https://api.example.com", "api1", -time.Hour),
		issuer.token("https://other.example.com", "api1", time.Hour),
		"not a token",
	} {
		_, err := v.Validate(ctx, token)
		switch {
		case errors.Is(err, jwtauth.ErrExpired):
			fmt.Println("expired: get a new token")
		case errors.Is(err, jwtauth.ErrWrongAudience):
			fmt.Println("not for this API:", err)
		default:
			fmt.Println("refused:", err)
		}
	}
	// Output:
	// expired: get a new token
	// not for this API: audience is ["https://other.example.com"], expected "https://api.example.com"
	// refused: token has no dots: a signed JWT is three base64url parts, header.payload.signature
}

// errors.As gives the details of a refusal: here, a token signed with a
// key the issuer does not publish.
func ExampleValidationError() {
	issuer := startIssuer()
	defer issuer.Close()
	ctx := context.Background()
	v, err := jwtauth.New(ctx, jwtauth.Options{Issuer: issuer.URL, Audience: "https://api.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	forged := signWith(key("rsa2").priv, "my-own-key", map[string]any{
		"iss": issuer.URL, "aud": "https://api.example.com", "exp": time.Now().Add(time.Hour).Unix(),
	})
	_, err = v.Validate(ctx, forged)
	var ve *jwtauth.ValidationError
	if errors.As(err, &ve) {
		fmt.Println(ve.Reason == jwtauth.ErrUnknownKey, ve.KeyID, ve.Known)
		fmt.Println(ve)
	}
	// Output:
	// true my-own-key [signing-key-1]
	// kid "my-own-key" is not among the issuer's keys, which are: signing-key-1
}

// Middleware requires a valid token on every request and answers 401 as
// RFC 6750 says otherwise.
func ExampleValidator_Middleware() {
	issuer := startIssuer()
	defer issuer.Close()
	v, err := jwtauth.New(context.Background(), jwtauth.Options{Issuer: issuer.URL, Audience: "https://api.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	api := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtauth.ClaimsFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", claims.ClientID)
	}))

	for _, authorization := range []string{
		"",
		"Bearer " + issuer.token("https://api.example.com", "api1", time.Hour),
		"Bearer abc",
	} {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		if w.Code == http.StatusOK {
			fmt.Println(w.Code, w.Body)
		} else {
			fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	// Output:
	// 401 Bearer
	// 200 hello client1
	// 401 Bearer error="invalid_token", error_description="token has no dots: a signed JWT is three base64url parts, header.payload.signature"
}

// RequireScopes adds per-route scopes; a token without them gets 403
// insufficient_scope.
func ExampleValidator_RequireScopes() {
	issuer := startIssuer()
	defer issuer.Close()
	v, err := jwtauth.New(context.Background(), jwtauth.Options{Issuer: issuer.URL, Audience: "https://api.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "done") })
	mux := http.NewServeMux()
	mux.Handle("GET /orders", v.RequireScopes("orders.read")(ok))
	mux.Handle("POST /orders", v.RequireScopes("orders.write")(ok))
	api := v.Middleware(mux)

	token := issuer.token("https://api.example.com", "orders.read", time.Hour)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := httptest.NewRequest(method, "/orders", nil)
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprint(method, " ", w.Code, " ", w.Header().Get("WWW-Authenticate"))))
	}
	// Output:
	// GET 200
	// POST 403 Bearer error="insufficient_scope", error_description="missing scope 'orders.write' (has: orders.read)", scope="orders.write"
}

// A handler behind Middleware reads the claims from the request's context,
// and any claim with Decode.
func ExampleClaimsFromContext() {
	issuer := startIssuer()
	defer issuer.Close()
	v, err := jwtauth.New(context.Background(), jwtauth.Options{Issuer: issuer.URL, Audience: "https://api.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	handler := func(w http.ResponseWriter, r *http.Request) {
		claims, ok := jwtauth.ClaimsFromContext(r.Context())
		if !ok {
			http.Error(w, "no claims: is the handler behind Middleware?", http.StatusInternalServerError)
			return
		}
		var tenant struct {
			ID string `json:"id"`
		}
		if err := claims.Decode("tenant", &tenant); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "%s of %s may %s", claims.Subject, tenant.ID, strings.Join(claims.Scopes, ", "))
	}

	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+issuer.token("https://api.example.com", "read write", time.Hour))
	w := httptest.NewRecorder()
	v.Middleware(http.HandlerFunc(handler)).ServeHTTP(w, r)
	fmt.Println(w.Body)
	// Output: client1 of contoso may read, write
}

// An API can start before its identity provider: New returns, Ready says
// why the keys are missing, and they load as soon as the provider is up.
func ExampleValidator_Ready() {
	issuer := startIssuer()
	defer issuer.Close()
	issuer.down.Store(true)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	v, err := jwtauth.New(ctx, jwtauth.Options{Issuer: issuer.URL, Audience: "https://api.example.com"})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	err = v.Ready()
	fmt.Println(errors.Is(err, jwtauth.ErrKeysUnavailable), strings.Contains(err.Error(), "503 Service Unavailable"))

	issuer.down.Store(false)
	// No need to wait for the next background attempt: a token arriving
	// while there are no keys fetches them.
	_, err = v.Validate(ctx, issuer.token("https://api.example.com", "api1", time.Hour))
	fmt.Println(err, v.Ready())
	// Output:
	// true true
	// <nil> <nil>
}

// With Introspection, reference tokens (opaque handles, not JWTs) are
// checked at the issuer's introspection endpoint with the API resource's
// name and secret; the answers are cached for IntrospectionCacheTTL, which
// is thus how long a revoked token may still be accepted.
func ExampleIntrospection() {
	issuer := startIssuer()
	defer issuer.Close()
	ctx := context.Background()
	v, err := jwtauth.New(ctx, jwtauth.Options{
		Issuer:   issuer.URL,
		Audience: "https://api.example.com",
		Introspection: &jwtauth.Introspection{
			ClientID:     "orders-api",
			ClientSecret: "orders-secret", // from a file or the environment, not the code
		},
		IntrospectionCacheTTL: 10 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()

	claims, err := v.Validate(ctx, "7Jq0cVz3pX2mZk9bL4sR")
	fmt.Println(claims.ClientID, claims.Scopes, err)

	issuer.revoked.Store(true)
	_, err = v.Validate(ctx, "7Jq0cVz3pX2mZk9bL4sR")
	fmt.Println("just revoked:", err) // the cached answer, for up to 10 s

	_, err = v.Validate(ctx, "unknownHandle")
	fmt.Println(errors.Is(err, jwtauth.ErrInactive), err)
	// Output:
	// client1 [orders.read] <nil>
	// just revoked: <nil>
	// true the token service says the token is not active: it is revoked, expired, unknown, or not meant for this API
}
