package upstream_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// op is an in-test OpenID provider: discovery, JWKS, an authorize
// endpoint that signs the person in at once and redirects with a code, and
// a token endpoint that checks the client, the code and PKCE, and issues an
// ES256 ID token. Its fields change what it does, for the failure cases.
type op struct {
	t      testing.TB
	srv    *httptest.Server
	issuer string // as published; for Entra, with {tenantid}
	path   string // the authority's path

	mu        sync.Mutex
	key       *ecdsa.PrivateKey
	kid       string
	published []jose.JSONWebKey
	codes     map[string]authz
	// claims edits the ID token's claims before signing.
	claims func(map[string]any)
	// tamper edits the signed ID token.
	tamper func(string) string
	// callback edits the authorization response's query.
	callback func(url.Values)
	// authMethods is token_endpoint_auth_methods_supported.
	authMethods []string
	// userinfo is what the userinfo endpoint answers beside sub.
	userinfoSub string
	// rawKeys are added to the JWKS as they are.
	rawKeys []json.RawMessage
	// unpublished signs with a key the JWKS never lists.
	unpublished bool
	// delay holds every answer.
	delay time.Duration
	// noIssParameter: discovery does not say that the authorization
	// response carries iss (RFC 9207), as Entra ID's does not.
	noIssParameter bool

	// clientKey, when set, is the client's registered public key: the
	// token endpoint then wants private_key_jwt (checkAssertion).
	clientKey *jose.JSONWebKey
	// clientCertSHA256 is the client certificate's SHA-256, when the
	// client registered a certificate: the assertion's x5t#S256.
	clientCertSHA256 []byte
	// signingAlgs is token_endpoint_auth_signing_alg_values_supported.
	signingAlgs []string
	jtis        map[string]bool

	jwksFetches, discoveryFetches atomic.Int32
	lastAuth                      atomic.Value // "basic", "post" or "private_key_jwt"
}

type authz struct{ nonce, challenge, redirect, clientID string }

const (
	testClient = "signet-at-upstream"
	testSecret = "s3cret:with/odd+chars"
)

func newOP(t testing.TB, path string) *op {
	o := &op{t: t, path: path, codes: map[string]authz{}, jtis: map[string]bool{}, authMethods: []string{"client_secret_basic", "client_secret_post"}}
	o.rotate()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+path+"/.well-known/openid-configuration", o.discovery)
	mux.HandleFunc("GET "+path+"/jwks", o.jwks)
	mux.HandleFunc("GET "+path+"/authorize", o.authorize)
	mux.HandleFunc("POST "+path+"/token", o.token)
	mux.HandleFunc("GET "+path+"/userinfo", o.userinfo)
	o.srv = httptest.NewTLSServer(mux)
	t.Cleanup(o.srv.Close)
	o.issuer = o.srv.URL + path
	return o
}

func (o *op) authority() string { return o.srv.URL + o.path }

// rotate makes a new signing key and publishes it (alone).
func (o *op) rotate() {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		o.t.Fatal(err)
	}
	kid := randomString(8)
	o.mu.Lock()
	o.key, o.kid = k, kid
	o.published = []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}}
	o.mu.Unlock()
}

func (o *op) wait(r *http.Request) bool {
	o.mu.Lock()
	d := o.delay
	o.mu.Unlock()
	if d == 0 {
		return true
	}
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		panic(http.ErrAbortHandler) // no answer at all, not an empty one
	}
}

func (o *op) discovery(w http.ResponseWriter, r *http.Request) {
	o.discoveryFetches.Add(1)
	if !o.wait(r) {
		return
	}
	o.mu.Lock()
	methods, algs, issParameter := o.authMethods, o.signingAlgs, !o.noIssParameter
	o.mu.Unlock()
	writeJSON(w, 200, map[string]any{
		"token_endpoint_auth_signing_alg_values_supported": algs,
		"issuer":                                         o.issuer,
		"authorization_endpoint":                         o.authority() + "/authorize",
		"token_endpoint":                                 o.authority() + "/token",
		"jwks_uri":                                       o.authority() + "/jwks",
		"userinfo_endpoint":                              o.authority() + "/userinfo",
		"response_types_supported":                       []string{"code"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"ES256"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          methods,
		"authorization_response_iss_parameter_supported": issParameter,
	})
}

func (o *op) jwks(w http.ResponseWriter, r *http.Request) {
	o.jwksFetches.Add(1)
	o.mu.Lock()
	keys := append([]json.RawMessage(nil), o.rawKeys...)
	for _, k := range o.published {
		b, err := k.MarshalJSON()
		if err != nil {
			o.t.Error(err)
		}
		keys = append(keys, b)
	}
	o.mu.Unlock()
	writeJSON(w, 200, map[string]any{"keys": keys})
}

func (o *op) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" || q.Get("client_id") != testClient ||
		q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(" "+q.Get("scope")+" ", " openid ") {
		http.Error(w, "bad authorization request: "+r.URL.RawQuery, 400)
		return
	}
	code := randomString(32)
	o.mu.Lock()
	o.codes[code] = authz{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"), clientID: q.Get("client_id")}
	edit := o.callback
	o.mu.Unlock()
	resp := url.Values{"code": {code}, "state": {q.Get("state")}, "iss": {strings.Replace(o.issuer, "{tenantid}", testTenant, 1)}}
	if edit != nil {
		edit(resp)
	}
	u, _ := url.Parse(q.Get("redirect_uri"))
	u.RawQuery = resp.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

const testTenant = "9b2a5c1e-0d7f-4e8a-a1b2-c3d4e5f60718"

func (o *op) token(w http.ResponseWriter, r *http.Request) {
	if !o.wait(r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, map[string]string{"error": "invalid_request"})
		return
	}
	o.mu.Lock()
	clientKey := o.clientKey
	o.mu.Unlock()
	id, secret, basic := r.BasicAuth()
	if clientKey != nil {
		if basic || r.PostForm.Has("client_secret") {
			writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": "a secret from a private_key_jwt client"})
			return
		}
		if msg := o.checkAssertion(r.PostForm, clientKey); msg != "" {
			writeJSON(w, 401, map[string]string{"error": "invalid_client", "error_description": msg})
			return
		}
		id, secret = testClient, testSecret
		o.lastAuth.Store("private_key_jwt")
	} else if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		o.lastAuth.Store("basic")
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		o.lastAuth.Store("post")
	}
	if id != testClient || secret != testSecret {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	o.mu.Lock()
	a, ok := o.codes[r.PostForm.Get("code")]
	delete(o.codes, r.PostForm.Get("code"))
	key, kid, edit, tamper := o.key, o.kid, o.claims, o.tamper
	if o.unpublished {
		key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		kid = randomString(8)
	}
	o.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if !ok || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != a.redirect ||
		base64.RawURLEncoding.EncodeToString(sum[:]) != a.challenge {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "code, redirect URI or verifier wrong"})
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": strings.Replace(o.issuer, "{tenantid}", testTenant, 1), "sub": "alice-sub", "aud": testClient,
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "nonce": a.nonce,
		"name": "Alice Example", "email": "alice@example.com", "email_verified": true,
	}
	if strings.Contains(o.issuer, "{tenantid}") {
		claims["tid"] = testTenant
	}
	if edit != nil {
		edit(claims)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		o.t.Error(err)
		return
	}
	idt, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		o.t.Error(err)
		return
	}
	if tamper != nil {
		idt = tamper(idt)
	}
	writeJSON(w, 200, map[string]any{"access_token": randomString(16), "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
}

// checkAssertion verifies a client assertion as an OP does (RFC 7523 §3,
// OpenID Connect Core §9): the signature with the registered key, the
// header's kid (the key's RFC 7638 thumbprint) and x5t#S256, iss = sub =
// client_id, aud = the token endpoint, exp in the future and at most 10
// minutes away, a jti never seen. It returns what is wrong, or "".
func (o *op) checkAssertion(form url.Values, key *jose.JSONWebKey) string {
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		return "client_assertion_type is " + form.Get("client_assertion_type")
	}
	tok, err := jwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.ES384})
	if err != nil {
		return "not a JWS: " + err.Error()
	}
	h := tok.Headers[0]
	tp, _ := key.Thumbprint(crypto.SHA256)
	if h.KeyID != base64.RawURLEncoding.EncodeToString(tp) || h.ExtraHeaders["typ"] != "JWT" {
		return "header kid " + h.KeyID + " is not the key's thumbprint, or typ is not JWT"
	}
	o.mu.Lock()
	certSum := o.clientCertSHA256
	o.mu.Unlock()
	if certSum != nil {
		if h.ExtraHeaders["x5t#S256"] != base64.RawURLEncoding.EncodeToString(certSum) || h.ExtraHeaders["x5t"] == nil {
			return "x5t#S256 is not the certificate's, or x5t is missing"
		}
	}
	var c jwt.Claims
	if err := tok.Claims(key.Key, &c); err != nil {
		return "the signature does not verify: " + err.Error()
	}
	now := time.Now()
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: testClient, Subject: testClient, AnyAudience: jwt.Audience{o.authority() + "/token"}, Time: now}, 0); err != nil {
		return "claims: " + err.Error()
	}
	if c.Expiry == nil || c.Expiry.Time().After(now.Add(10*time.Minute)) || len(c.ID) < 22 || form.Get("client_id") != testClient {
		return "exp missing or too far, jti too short, or client_id missing"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.jtis[c.ID] {
		return "jti replayed"
	}
	o.jtis[c.ID] = true
	return ""
}

// userinfo answers any bearer token the token endpoint issued with the
// person's given name (which the ID token lacks) and a name that the ID
// token's must win over.
func (o *op) userinfo(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		w.WriteHeader(401)
		return
	}
	o.mu.Lock()
	sub := o.userinfoSub
	o.mu.Unlock()
	if sub == "" {
		sub = "alice-sub"
	}
	writeJSON(w, 200, map[string]any{"sub": sub, "given_name": "Alice", "name": "Not Alice"})
}

func (o *op) set(f func(*op)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f(o)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
