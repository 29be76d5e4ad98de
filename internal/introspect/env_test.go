package introspect_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/clientauth"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/introspect"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

const (
	issuer = "https://signet.example"
	// ordersAPI is named by a URL, as IdentityServer's API resources
	// often are: in a Basic header its name is form-encoded first.
	ordersAPI    = "https://api.example.com/orders"
	ordersSecret = "orders-secret-0123456789"
	otherAPI     = "other-api"
	otherSecret  = "other-secret-0123456789"
	keyedAPI     = "keyed-api"
	keyedKid     = "keyed-kid"
	signedAPI    = "signed-api"
	signedSecret = "signed-secret-0123456789"
	clientSecret = "machine-secret-0123456789"
)

// keys are the ring's keys, made once: RSA generation is slow.
var keys = sync.OnceValues(func() ([]*signing.Key, error) {
	dir, err := os.MkdirTemp("", "signet-introspect-test")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	rs, err := signing.Loader{DataDir: dir}.Load(signing.Spec{Type: signing.TypeDevelopment}, false)
	if err != nil {
		return nil, err
	}
	return rs.Keys, nil
})

func newRing(t testing.TB) *signing.Ring {
	t.Helper()
	ks, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	r, err := signing.NewRing(ks, nil, signing.RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// resources is a fixed set of API resources.
type resources map[string]introspect.Resource

func (rs resources) Resource(_ context.Context, name string) (introspect.Resource, error) {
	if r, ok := rs[name]; ok {
		return r, nil
	}
	return introspect.Resource{}, client.ErrUnknown
}

// env is a server with the introspection endpoint, and the tokens service
// that issues what it introspects.
type env struct {
	t       testing.TB
	handler http.Handler
	store   storage.Store
	ring    *signing.Ring
	clock   *testsupport.Clock
	tokens  *tokens.Service
	clients client.Static
	users   map[string]storage.User
	key     *ecdsa.PrivateKey
	logs    *testsupport.LogBuffer
}

// options change the endpoint's options before it is made.
type options func(*introspect.Options)

// newEnv serves the endpoint over store, with the API resources
// ordersAPI (scopes orders.read, orders.write; a secret), otherAPI (scope
// other; a secret), keyedAPI (orders.read; private_key_jwt) and signedAPI
// (orders.read; signed answers), and the clients "machine" (OneTimeOnly
// refresh tokens), "reuse" (ReUse) and "gone" (disabled).
func newEnv(t testing.TB, store storage.Store, clock *testsupport.Clock, change ...options) *env {
	t.Helper()
	e := &env{t: t, store: store, ring: newRing(t), clock: clock, key: testsupport.ECKey(t), logs: &testsupport.LogBuffer{}}
	secrets := func(s string) []client.Secret { return testsupport.Secrets(t, s, clock.Now().Add(-time.Hour)) }
	rs := resources{
		ordersAPI: {Name: ordersAPI, Scopes: []string{"orders.read", "orders.write"},
			Client: &client.Client{ID: ordersAPI, Secrets: secrets(ordersSecret)}},
		otherAPI: {Name: otherAPI, Scopes: []string{"other"}, Client: &client.Client{ID: otherAPI, Secrets: secrets(otherSecret)}},
		keyedAPI: {Name: keyedAPI, Scopes: []string{"orders.read"},
			Client: &client.Client{ID: keyedAPI, Keys: testsupport.KeySet(e.key, keyedKid)}},
		signedAPI: {Name: signedAPI, Scopes: []string{"orders.read"}, JWTResponse: true,
			Client: &client.Client{ID: signedAPI, Secrets: secrets(signedSecret)}},
	}
	e.clients = client.Static{
		"machine": {ID: "machine", Secrets: secrets(clientSecret), GrantTypes: []string{"client_credentials"}, Scopes: []string{"orders.read", "orders.write", "other"}},
		"reuse":   {ID: "reuse", Secrets: secrets(clientSecret), GrantTypes: []string{"authorization_code"}, RefreshTokenReUse: true},
		"gone":    {ID: "gone", Secrets: secrets(clientSecret), GrantTypes: []string{"client_credentials"}, Disabled: true},
	}
	e.tokens = &tokens.Service{Signer: e.ring, Now: clock.Now, Grants: store, Resources: func() tokens.Resources {
		return tokens.Resources{Scopes: []string{"orders.read", "orders.write", "other"}, ByScope: map[string][]string{
			"orders.read": {ordersAPI, keyedAPI, signedAPI}, "orders.write": {ordersAPI}, "other": {otherAPI}}}
	}}
	opts := introspect.Options{
		Resources:  rs,
		Auth:       clientauth.Authenticator{Replay: store, RemoteKeys: &clientauth.RemoteKeys{}, IssuerConfigured: true},
		Keys:       e.ring,
		References: introspect.GrantReferences{Grants: store},
		Grants:     store,
		Clients:    e.clients,
		Users:      store,
		Now:        clock.Now,
		Logger:     slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	for _, c := range change {
		c(&opts)
	}
	e.handler = server.New(server.Options{Issuer: issuer, Endpoints: []endpoint.Endpoint{introspect.New(opts)}})
	for _, u := range []storage.User{{ID: "alice-id", Username: "alice"}, {ID: "bob-id", Username: "bob", Disabled: true}} {
		if err := store.CreateUser(t.Context(), u); err != nil && !errors.Is(err, storage.ErrAlreadyExists) {
			t.Fatal(err)
		}
	}
	return e
}

// basic is an Authorization header of HTTP Basic, the id and secret
// form-encoded first (RFC 6749 §2.3.1).
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// call posts form to the endpoint with the headers given as name, value
// pairs.
func (e *env) call(form url.Values, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, issuer+introspect.Path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

// introspect asks for token as ordersAPI, with its secret in Basic.
func (e *env) introspect(token string, extra ...string) *httptest.ResponseRecorder {
	form := url.Values{"token": {token}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return e.call(form, "Authorization", basic(ordersAPI, ordersSecret))
}

// answer is an answer's JSON, decoded.
func answer(t testing.TB, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", w.Code, w.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("answer %s: %v", w.Body, err)
	}
	return m
}

// wantInactive checks that w is the one inactive answer, byte for byte.
func wantInactive(t testing.TB, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code != http.StatusOK || w.Body.String() != `{"active":false}` || w.Header().Get("Content-Type") != "application/json" ||
		w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("%s: %d %s %v; want 200 {\"active\":false}", what, w.Code, w.Body, w.Header())
	}
}

// accessToken issues a JWT access token to client for scopes, to a user
// when user is set.
func (e *env) accessToken(clientID, user string, scopes ...string) string {
	e.t.Helper()
	req := tokens.AccessTokenRequest{Issuer: issuer, Client: e.clients[clientID], Scopes: scopes}
	if req.Client == nil {
		req.Client = &client.Client{ID: clientID}
	}
	if user != "" {
		req.Subject, req.AuthTime = user, e.clock.Now().Add(-time.Minute)
	}
	at, err := e.tokens.AccessToken(e.t.Context(), req)
	if err != nil {
		e.t.Fatal(err)
	}
	return at.JWT
}

// refreshToken issues a refresh token of client for user and scopes.
func (e *env) refreshToken(clientID, user string, scopes ...string) string {
	e.t.Helper()
	h, err := e.tokens.IssueRefresh(context.Background(), tokens.Authorization{ClientID: clientID, Subject: user, Scopes: scopes,
		AuthTime: e.clock.Now().Add(-time.Minute)}, "", tokens.RefreshPolicy{})
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// referenceToken stores a reference token of client with the claims a JWT
// of it would carry, as internal/tokens does, and returns its handle.
func (e *env) referenceToken(clientID string, aud []string, scopes string) string {
	e.t.Helper()
	now := e.clock.Now()
	claims, _ := json.Marshal(map[string]any{"iss": issuer, "aud": aud, "client_id": clientID, "sub": clientID, "scope": scopes,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "ref-jti"})
	handle := base64.RawURLEncoding.EncodeToString([]byte(now.String() + clientID + scopes))
	err := e.store.CreateGrant(context.Background(), storage.PersistedGrant{Key: tokens.HandleKey(storage.GrantReferenceToken, handle),
		Type: storage.GrantReferenceToken, ClientID: clientID, Subject: clientID, Created: now, Expires: now.Add(time.Hour), Data: claims})
	if err != nil {
		e.t.Fatal(err)
	}
	return handle
}
