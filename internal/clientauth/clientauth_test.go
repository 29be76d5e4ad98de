package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

const issuer = "https://auth.example.com"

// all is every method, as the token endpoint accepts them.
var all = []Method{SecretBasic, SecretPost, PrivateKeyJWT, None}

type fixture struct {
	t         testing.TB
	auth      *Authenticator
	clients   client.Static
	clientKey *ecdsa.PrivateKey
	secret    string
	now       time.Time
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{t: t, secret: secret.Generate(), now: time.Now()}
	f.clientKey = testsupport.ECKey(t)
	f.clients = client.Static{
		"app": {ID: "app", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api1", "api2"},
			Secrets: testsupport.Secrets(t, f.secret, f.now.Add(-time.Hour))},
		"jwt-app": {ID: "jwt-app", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api1"},
			Keys: testsupport.KeySet(f.clientKey, "client-key-1")},
		"spa":     {ID: "spa", Public: true, GrantTypes: []string{"authorization_code"}},
		"off-spa": {ID: "off-spa", Public: true, Disabled: true},
	}
	f.auth = &Authenticator{
		Clients: f.clients, Replay: memory.New(memory.Options{}), RemoteKeys: &RemoteKeys{},
		IssuerConfigured: true,
		Now:              func() time.Time { return f.now },
	}
	return f
}

// check authenticates cr as the token endpoint does (every method).
func (f *fixture) check(cr Credentials) (*client.Client, Method, *oauth.Error) {
	return f.auth.Authenticate(context.Background(), &cr, issuer, all)
}

// assertion is signed by jwt-app's key, kid client-key-1.
func (f *fixture) assertion(claims map[string]any, headers ...func(*jose.SignerOptions)) string {
	f.t.Helper()
	return testsupport.SignAssertion(f.t, jose.ES256, f.clientKey, "client-key-1", claims, headers...)
}

func (f *fixture) goodClaims() map[string]any {
	return testsupport.AssertionClaims("jwt-app", issuer+"/connect/token", f.now)
}

func assertionCreds(tok string) Credentials {
	return Credentials{AssertionType: oauth.ClientAssertionJWT, Assertion: tok}
}

// Each method authenticates its client, and says which it was.
func TestAuthenticate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for name, tc := range map[string]struct {
		cr     Credentials
		client string
		method Method
	}{
		"basic":                    {Credentials{HasBasic: true, BasicID: "app", BasicSecret: f.secret}, "app", SecretBasic},
		"basic, same id in body":   {Credentials{HasBasic: true, BasicID: "app", BasicSecret: f.secret, ClientID: "app"}, "app", SecretBasic},
		"post":                     {Credentials{ClientID: "app", ClientSecret: f.secret}, "app", SecretPost},
		"private_key_jwt":          {assertionCreds(f.assertion(f.goodClaims())), "jwt-app", PrivateKeyJWT},
		"none, by a public client": {Credentials{ClientID: "spa"}, "spa", None},
	} {
		t.Run(name, func(t *testing.T) {
			c, m, err := f.check(tc.cr)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if c.ID != tc.client || m != tc.method {
				t.Errorf("client %s by %s, want %s by %s", c.ID, m, tc.client, tc.method)
			}
		})
	}
}

// Every refusal: its OAuth code, status, challenge and description.
func TestAuthenticateRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	logs := &lockedBuffer{}
	f.auth.Logger = slog.New(slog.NewTextHandler(logs, nil))
	const notAuthenticated = "the client did not authenticate: use client_secret_basic, client_secret_post or private_key_jwt"
	for _, tc := range []struct {
		name     string
		cr       Credentials
		accepted []Method
		code     string
		status   int
		desc     string
		// logged is the reason the log must give ("" for none).
		logged string
	}{
		{"nothing", Credentials{}, all, "invalid_client", 401, notAuthenticated, ""},
		{"client_id of a confidential client", Credentials{ClientID: "app"}, all, "invalid_client", 401, notAuthenticated, "it is not a public client"},
		{"client_id of an unknown client", Credentials{ClientID: "nobody"}, all, "invalid_client", 401, notAuthenticated, "unknown client; it sent only its client_id"},
		{"client_id of a disabled public client", Credentials{ClientID: "off-spa"}, all, "invalid_client", 401, notAuthenticated, "it is disabled"},
		{"client_id of a public client, none not accepted", Credentials{ClientID: "spa"}, []Method{SecretBasic, SecretPost, PrivateKeyJWT}, "invalid_client", 401, notAuthenticated, ""},
		{"public client with a secret", Credentials{ClientID: "spa", ClientSecret: "x"}, all, "invalid_client", 401, "client authentication failed: unknown client, or wrong or expired secret", "the client has no secret"},
		{"wrong secret (basic)", Credentials{HasBasic: true, BasicID: "app", BasicSecret: "wrong"}, all, "invalid_client", 401, "client authentication failed: unknown client, or wrong or expired secret", "wrong secret"},
		{"expired secret", Credentials{ClientID: "app", ClientSecret: "expired-secret"}, all, "invalid_client", 401, "client authentication failed: unknown client, or wrong or expired secret", "expired secret"},
		{"secret of a key client", Credentials{ClientID: "jwt-app", ClientSecret: "x"}, all, "invalid_client", 401, "client authentication failed: unknown client, or wrong or expired secret", "it uses private_key_jwt"},
		{"secret without client_id", Credentials{ClientSecret: "x"}, all, "invalid_client", 401, "client_secret was sent without client_id", ""},
		{"two methods", Credentials{HasBasic: true, BasicID: "app", BasicSecret: f.secret, ClientSecret: f.secret}, all, "invalid_request", 400,
			"the client used more than one authentication method; use exactly one of client_secret_basic, client_secret_post and private_key_jwt (RFC 6749 §2.3)", ""},
		{"body client_id differs from basic", Credentials{HasBasic: true, BasicID: "app", BasicSecret: f.secret, ClientID: "other"}, all, "invalid_request", 400, "client_id in the body differs from the one in the Authorization header", ""},
		{"post not accepted", Credentials{ClientID: "app", ClientSecret: f.secret}, []Method{SecretBasic, None}, "invalid_client", 401, "client_secret_post is not accepted here; use client_secret_basic", ""},
		{"private_key_jwt not accepted", assertionCreds(f.assertion(f.goodClaims())), []Method{SecretBasic, SecretPost}, "invalid_client", 401, "private_key_jwt is not accepted here; use client_secret_basic or client_secret_post", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.String())
			c, _, err := f.auth.Authenticate(context.Background(), &tc.cr, issuer, tc.accepted)
			if err == nil {
				t.Fatalf("authenticated %s", c.ID)
			}
			if err.Code != tc.code || err.Status != tc.status || err.Description != tc.desc {
				t.Errorf("%s %d %q\nwant %s %d %q", err.Code, err.Status, err.Description, tc.code, tc.status, tc.desc)
			}
			// Every 401 carries the Basic challenge (RFC 9110 §15.5.2);
			// nothing else does.
			if want := map[bool]string{true: challenge}[tc.status == 401]; err.Challenge != want {
				t.Errorf("challenge %q, want %q", err.Challenge, want)
			}
			if out := logs.String()[before:]; tc.logged != "" && !strings.Contains(out, tc.logged) {
				t.Errorf("the log does not say %q:\n%s", tc.logged, out)
			}
		})
	}
}

// A client whose store is unavailable hears temporarily_unavailable (503),
// whichever method it uses, not that it failed to authenticate.
func TestAuthenticateStoreUnavailable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.auth.Clients = clientsFunc(func(context.Context, string) (*client.Client, error) {
		return nil, storage.ErrUnavailable
	})
	for name, cr := range map[string]Credentials{
		"basic":           {HasBasic: true, BasicID: "app", BasicSecret: f.secret},
		"none":            {ClientID: "spa"},
		"private_key_jwt": assertionCreds(f.assertion(f.goodClaims())),
	} {
		if _, _, err := f.check(cr); err == nil || err.Code != oauth.TemporarilyUnavailable || err.Status != http.StatusServiceUnavailable {
			t.Errorf("%s: %v; want temporarily_unavailable, 503", name, err)
		}
	}
}

type clientsFunc func(ctx context.Context, id string) (*client.Client, error)

func (f clientsFunc) Client(ctx context.Context, id string) (*client.Client, error) {
	return f(ctx, id)
}

// An assertion is accepted once: its jti (per client) is remembered until
// it expires, and a second use is refused.
func TestAssertionUsedOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	claims := f.goodClaims()
	tok := f.assertion(claims)
	if _, _, err := f.check(assertionCreds(tok)); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, _, err := f.check(assertionCreds(tok))
	if err == nil || err.Code != oauth.InvalidClient || !strings.Contains(err.Description, "its jti was used before") {
		t.Fatalf("second use: %v; want invalid_client, jti used before", err)
	}
	// Another assertion with the same jti is refused too: it is the jti
	// that is spent, not the token.
	claims["exp"] = f.now.Add(3 * time.Minute).Unix()
	if _, _, err := f.check(assertionCreds(f.assertion(claims))); err == nil || !strings.Contains(err.Description, "its jti was used before") {
		t.Fatalf("a new assertion with a used jti: %v", err)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name string
		form url.Values
		auth []string
		want Credentials
		// code and desc of the refusal; "" for success.
		code, desc string
	}{
		{"basic", nil, []string{"Basic " + enc("my%20app:s%3Acret")}, Credentials{HasBasic: true, BasicID: "my app", BasicSecret: "s:cret"}, "", ""},
		{"basic scheme in any case", nil, []string{"basic " + enc("app:x")}, Credentials{HasBasic: true, BasicID: "app", BasicSecret: "x"}, "", ""},
		{"form", url.Values{"client_id": {"app"}, "client_secret": {"x"}, "client_assertion_type": {"t"}, "client_assertion": {"a"}}, nil,
			Credentials{ClientID: "app", ClientSecret: "x", AssertionType: "t", Assertion: "a"}, "", ""},
		{"repeated client_id", url.Values{"client_id": {"a", "b"}}, nil, Credentials{}, "invalid_request", `parameter "client_id" is repeated`},
		{"repeated Authorization", nil, []string{"Basic " + enc("a:b"), "Basic " + enc("a:b")}, Credentials{}, "invalid_request", "the Authorization header is repeated"},
		{"bearer", nil, []string{"Bearer abc"}, Credentials{}, "invalid_client", `must use the Basic scheme for client authentication, not "Bearer"`},
		{"not base64", nil, []string{"Basic !!!"}, Credentials{}, "invalid_client", "the Basic credentials are not valid base64"},
		{"no colon", nil, []string{"Basic " + enc("app")}, Credentials{}, "invalid_client", "must be client_id:client_secret"},
		{"bad escape in id", nil, []string{"Basic " + enc("%zz:x")}, Credentials{}, "invalid_client", "the Basic client_id is not form-url-encoded"},
		{"bad escape in secret", nil, []string{"Basic " + enc("app:%zz")}, Credentials{}, "invalid_client", "the Basic client_secret is not form-url-encoded"},
		{"empty id", nil, []string{"Basic " + enc(":x")}, Credentials{}, "invalid_client", "the Basic client_id is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr, err := Parse(tc.form, tc.auth)
			if tc.code == "" {
				if err != nil || cr != tc.want {
					t.Errorf("got %+v, %v; want %+v", cr, err, tc.want)
				}
				return
			}
			if err == nil || err.Code != tc.code || !strings.Contains(err.Description, tc.desc) {
				t.Fatalf("got %v; want %s saying %q", err, tc.code, tc.desc)
			}
			if wantChallenge := tc.code == oauth.InvalidClient; (err.Challenge == challenge) != wantChallenge || (err.Status == 401) != wantChallenge {
				t.Errorf("status %d, challenge %q", err.Status, err.Challenge)
			}
		})
	}
}

// lockedBuffer is a log destination that the authenticator may write while
// the test reads it.
type lockedBuffer = testsupport.LogBuffer

// A jwksUri is fetched, cached, and fetched again for an unknown kid.
func TestRemoteKeys(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var fetches int
	var mu sync.Mutex
	current := testsupport.KeySet(f.clientKey, "client-key-1")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		fetches++
		_ = json.NewEncoder(w).Encode(current)
	}))
	defer srv.Close()
	f.clients["jwt-app"].Keys = nil
	f.clients["jwt-app"].KeysURI = srv.URL
	f.auth.RemoteKeys = &RemoteKeys{MinRefresh: time.Nanosecond}
	for range 3 {
		if _, _, err := f.check(assertionCreds(f.assertion(f.goodClaims()))); err != nil {
			t.Fatal(err)
		}
	}
	if fetches != 1 {
		t.Fatalf("%d fetches for three requests, want 1 (cached)", fetches)
	}
	// The client rotates its key: the new kid makes one refetch.
	newKey := testsupport.ECKey(t)
	mu.Lock()
	current.Keys = append(current.Keys, jose.JSONWebKey{Key: newKey.Public(), KeyID: "client-key-2", Algorithm: "ES256", Use: "sig"})
	mu.Unlock()
	f.clientKey = newKey
	_, _, err := f.check(assertionCreds(f.assertion(f.goodClaims(), func(o *jose.SignerOptions) { o.WithHeader("kid", "client-key-2") })))
	if err != nil || fetches != 2 {
		t.Fatalf("after rotation: %v, %d fetches", err, fetches)
	}
}

func TestParseClientKeysRefusesPrivateAndSymmetric(t *testing.T) {
	t.Parallel()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, set := range map[string]jose.JSONWebKeySet{
		"private":   {Keys: []jose.JSONWebKey{{Key: priv, KeyID: "p"}}},
		"symmetric": {Keys: []jose.JSONWebKey{{Key: []byte("0123456789abcdef"), KeyID: "s"}}},
		"empty":     {},
	} {
		data, _ := json.Marshal(set)
		if _, err := client.ParseKeys(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The memory store is a ReplayCache: a second use of a (client, jti) is
// refused with storage.ErrAlreadyExists, and another client's same jti is
// not.
func TestReplayCache(t *testing.T) {
	t.Parallel()
	var rc ReplayCache = memory.New(memory.Options{})
	ctx := context.Background()
	exp := time.Now().Add(time.Minute)
	if err := rc.UseOnce(ctx, "app", "jti-1", exp); err != nil {
		t.Fatal(err)
	}
	if err := rc.UseOnce(ctx, "app", "jti-1", exp); !errors.Is(err, storage.ErrAlreadyExists) {
		t.Errorf("second use: %v, want storage.ErrAlreadyExists", err)
	}
	if err := rc.UseOnce(ctx, "other", "jti-1", exp); err != nil {
		t.Errorf("another client's jti: %v", err)
	}
}

// MSAL names its key by kid (the certificate's thumbprint) and sends x5t:
// a client key set that names the key otherwise is matched by x5t.
func TestAssertionMatchedByX5T(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	cert := testsupport.SelfSigned(t, f.clientKey, "CN=client", f.now.Add(-time.Hour), f.now.Add(time.Hour))
	sum := sha1.Sum(cert.Raw)
	keys := f.clients["jwt-app"].Keys
	keys.Keys[0].KeyID = "rfc7638-style-kid"
	keys.Keys[0].Certificates = []*x509.Certificate{cert}
	keys.Keys[0].CertificateThumbprintSHA1 = sum[:]
	tok := f.assertion(f.goodClaims(), func(o *jose.SignerOptions) {
		o.WithHeader("kid", strings.ToUpper(hex.EncodeToString(sum[:]))).WithHeader("x5t", base64.RawURLEncoding.EncodeToString(sum[:]))
	})
	if _, _, err := f.check(assertionCreds(tok)); err != nil {
		t.Fatal(err)
	}
}

// Without a configured issuer, a private_key_jwt client is refused even
// with a valid assertion, whatever aud the request's Host would make
// right; the answer is the one every failed assertion gets, and the log
// tells the operator to set issuer. Secrets still work.
func TestAssertionRefusedWithoutConfiguredIssuer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	logs := &lockedBuffer{}
	f.auth.Logger = slog.New(slog.NewTextHandler(logs, nil))
	f.auth.IssuerConfigured = false
	// The issuer derived from a forged Host, and the aud made for it.
	const forged = "https://forged.example"
	for _, aud := range []string{forged + "/connect/token", forged} {
		c := f.goodClaims()
		c["aud"] = aud
		cr := assertionCreds(f.assertion(c))
		_, _, err := f.auth.Authenticate(context.Background(), &cr, forged, all)
		if err == nil || err.Status != http.StatusUnauthorized || err.Code != "invalid_client" {
			t.Fatalf("aud %s: %v; want 401 invalid_client", aud, err)
		}
		if err.Description != failedAssertion().Description {
			t.Errorf("description %q; want the one of every failed assertion, %q", err.Description, failedAssertion().Description)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 2 || !strings.Contains(out, "client_id=jwt-app") || !strings.Contains(out, "set issuer to the URL clients use") {
		t.Errorf("want two ERROR lines naming jwt-app and saying to set issuer:\n%s", out)
	}
	// A wrong signature is no reason for the error: it is the client's own
	// requests that the operator must hear about.
	before := strings.Count(logs.String(), "level=ERROR")
	if _, _, err := f.check(assertionCreds(otherKeyAssertion(t, f))); err == nil || err.Status != http.StatusUnauthorized {
		t.Fatalf("another key's assertion: %v", err)
	}
	if strings.Count(logs.String(), "level=ERROR") != before {
		t.Errorf("an assertion that does not verify wrote an ERROR line:\n%s", logs.String())
	}
	if _, _, err := f.check(Credentials{HasBasic: true, BasicID: "app", BasicSecret: f.secret}); err != nil {
		t.Errorf("a secret without a configured issuer: %v", err)
	}
}

// otherKeyAssertion is a valid assertion of jwt-app but for its signature:
// another key's, under the kid of jwt-app's key.
func otherKeyAssertion(t *testing.T, f *fixture) string {
	return testsupport.SignAssertion(t, jose.ES256, testsupport.ECKey(t), "client-key-1", f.goodClaims())
}
