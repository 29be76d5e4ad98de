package signin_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/internal/claims"
	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/upstream"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// fedOP is an in-test OpenID provider on loopback http: discovery, JWKS,
// an authorize endpoint that signs "person-1" in at once, and a token
// endpoint that checks PKCE and issues an ES256 ID token. Its hooks make
// it misbehave. With entra set, its authority is .../organizations/v2.0
// and it publishes Entra's {tenantid} issuer.
type fedOP struct {
	t     testing.TB
	srv   *httptest.Server
	entra bool
	key   *ecdsa.PrivateKey

	mu       sync.Mutex
	codes    map[string][2]string // code → nonce, challenge
	claims   func(map[string]any)
	tamper   func(string) string
	callback func(url.Values)
}

const (
	fedClient = "signet-downstream"
	fedSecret = "secret-of-signet-at-the-op"
	fedTenant = "9b2a5c1e-0d7f-4e8a-a1b2-c3d4e5f60718"
)

func newFedOP(t testing.TB, entra bool) *fedOP {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := &fedOP{t: t, entra: entra, key: k, codes: map[string][2]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", o.serve)
	mux.HandleFunc("POST /token", o.token)
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	return o
}

// issuer is what the OP puts in tokens (for Entra, the person's tenant's).
func (o *fedOP) issuer() string {
	if o.entra {
		return o.srv.URL + "/" + fedTenant + "/v2.0"
	}
	return o.srv.URL
}

func (o *fedOP) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		iss := o.srv.URL
		if o.entra {
			iss = o.srv.URL + "/{tenantid}/v2.0"
		}
		fedJSON(w, map[string]any{
			"issuer": iss, "authorization_endpoint": o.srv.URL + "/authorize", "token_endpoint": o.srv.URL + "/token",
			"jwks_uri": o.srv.URL + "/jwks", "response_types_supported": []string{"code"},
			"id_token_signing_alg_values_supported": []string{"ES256"},
		})
	case r.URL.Path == "/jwks":
		b, _ := jose.JSONWebKey{Key: &o.key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}.MarshalJSON()
		fedJSON(w, map[string]any{"keys": []json.RawMessage{b}})
	case r.URL.Path == "/authorize":
		q := r.URL.Query()
		code := fedRandom()
		o.mu.Lock()
		o.codes[code] = [2]string{q.Get("nonce"), q.Get("code_challenge")}
		edit := o.callback
		o.mu.Unlock()
		resp := url.Values{"code": {code}, "state": {q.Get("state")}}
		if edit != nil {
			edit(resp)
		}
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+resp.Encode(), http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func (o *fedOP) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id, secret, _ := r.BasicAuth()
	o.mu.Lock()
	a, ok := o.codes[r.PostForm.Get("code")]
	delete(o.codes, r.PostForm.Get("code"))
	edit, tamper := o.claims, o.tamper
	o.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if id != fedClient || secret != fedSecret || !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != a[1] {
		w.WriteHeader(http.StatusBadRequest)
		fedJSON(w, map[string]string{"error": "invalid_grant"})
		return
	}
	now := time.Now()
	claims := map[string]any{"iss": o.issuer(), "sub": "person-1", "aud": fedClient, "exp": now.Add(5 * time.Minute).Unix(),
		"iat": now.Unix(), "nonce": a[0], "name": "Pat Example", "email": "pat@example.com", "email_verified": true,
		"department": "Research", "amr": []string{"pwd", "mfa", "made-up"}}
	if o.entra {
		claims["tid"] = fedTenant
	}
	if edit != nil {
		edit(claims)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: o.key, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		o.t.Error(err)
		return
	}
	idt, _ := jwt.Signed(signer).Claims(claims).Serialize()
	if tamper != nil {
		idt = tamper(idt)
	}
	fedJSON(w, map[string]any{"access_token": fedRandom(), "token_type": "Bearer", "expires_in": 3600, "id_token": idt})
}

func (o *fedOP) set(f func(*fedOP)) { o.mu.Lock(); defer o.mu.Unlock(); f(o) }

func fedJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func fedRandom() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ghOP speaks GitHub's shapes: authorize, a token endpoint answering JSON,
// /user and /user/emails.
type ghOP struct {
	srv      *httptest.Server
	mu       sync.Mutex
	codes    map[string]string
	verified bool
}

func newGHOP(t testing.TB) *ghOP {
	g := &ghOP{codes: map[string]string{}, verified: true}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := fedRandom()
		g.mu.Lock()
		g.codes[code] = q.Get("code_challenge")
		g.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		g.mu.Lock()
		ch, ok := g.codes[r.PostForm.Get("code")]
		delete(g.codes, r.PostForm.Get("code"))
		g.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || r.PostForm.Get("client_secret") != fedSecret || base64.RawURLEncoding.EncodeToString(sum[:]) != ch {
			fedJSON(w, map[string]string{"error": "bad_verification_code"})
			return
		}
		fedJSON(w, map[string]any{"access_token": "gho_" + fedRandom(), "token_type": "bearer", "scope": "read:user,user:email"})
	})
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		fedJSON(w, map[string]any{"login": "octocat", "id": 583231, "name": "The Octocat"})
	})
	mux.HandleFunc("GET /user/emails", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		v := g.verified
		g.mu.Unlock()
		fedJSON(w, []map[string]any{{"email": "octocat@github.example", "primary": true, "verified": v}})
	})
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

// testProviders are a registry's providers plus GitHub at a test server.
type testProviders struct {
	*federation.Registry
	gh     *ghOP
	ghName string
}

func (p *testProviders) List() []federation.Settings {
	l := p.Registry.List()
	if p.gh != nil {
		l = append(l, federation.Settings{Name: p.ghName, Type: federation.TypeGitHub, DisplayName: "GitHub", ClientID: fedClient, ClientSecret: fedSecret, AutoProvision: true})
	}
	return l
}

func (p *testProviders) Get(issuer, name string) (federation.Settings, federation.RP, bool, error) {
	if p.gh != nil && name == p.ghName {
		s := p.List()[len(p.List())-1]
		u := p.gh.srv.URL
		rp, err := upstream.NewGitHub(upstream.Config{Name: name, ClientID: fedClient, ClientSecret: fedSecret, RedirectURI: issuer + federation.CallbackPath(name)},
			upstream.AllowInsecureLoopback(), upstream.WithGitHubEndpoints(upstream.GitHubEndpoints{
				Authorize: u + "/login/oauth/authorize", Token: u + "/login/oauth/access_token", User: u + "/user", Emails: u + "/user/emails"}))
		return s, rp, true, err
	}
	return p.Registry.Get(issuer, name)
}

type fedEnv struct {
	*env
	op, entra *fedOP
	gh        *ghOP
}

// newFedEnv is the sign-in endpoint with providers: corp (oidc,
// autoProvision, saveTokens, a claim mapping), closed (oidc, no
// autoProvision), entra (multi-tenant organizations) and github.
func newFedEnv(t testing.TB) *fedEnv {
	f := &fedEnv{op: newFedOP(t, false), entra: newFedOP(t, true), gh: newGHOP(t)}
	reg := federation.NewRegistry(federation.Options{})
	reg.Set([]federation.Settings{
		{Name: "corp", Type: federation.TypeOIDC, DisplayName: "Corp", Authority: f.op.srv.URL, ClientID: fedClient, ClientSecret: fedSecret,
			AutoProvision: true, SaveTokens: true, ClaimMappings: map[string]string{"dept": "department"}},
		{Name: "closed", Type: federation.TypeOIDC, DisplayName: "Closed", Authority: f.op.srv.URL, ClientID: fedClient, ClientSecret: fedSecret},
		{Name: "entra", Type: federation.TypeEntra, DisplayName: "Microsoft", Authority: f.entra.srv.URL, Tenant: "organizations",
			ClientID: fedClient, ClientSecret: fedSecret, AutoProvision: true},
	})
	providers := &testProviders{Registry: reg, gh: f.gh, ghName: "github"}
	clk := testsupport.NewClock(start)
	store := memory.New(memory.Options{Now: clk.Now})
	f.env = newEnv(t, store, clk, func(o *signin.Options) {
		o.Federation = &signin.Federation{Providers: providers, Store: store,
			Seal: func(owner, purpose string, plaintext []byte) ([]byte, error) {
				return append([]byte("sealed:"+purpose+":"), plaintext...), nil
			}}
	})
	return f
}

var buttonRE = regexp.MustCompile(`href="(/signin/[^"]+)"[^>]*>([^<]+)</a>`)

func button(t testing.TB, p *page, label string) string {
	t.Helper()
	for _, m := range buttonRE.FindAllStringSubmatch(p.Body, -1) {
		if strings.TrimSpace(m[2]) == label {
			return m[1]
		}
	}
	t.Fatalf("no %q button on %v", label, p)
	return ""
}

// upstream goes through the provider's redirects: from p (a redirect to
// it) back to Signet's callback, which the browser opens.
func (b *browser) viaUpstream(p *page) *page {
	b.t.Helper()
	loc := location(b.t, p)
	if loc.Host == "" || strings.HasPrefix(b.e.srv.URL, loc.Scheme+"://"+loc.Host) {
		b.t.Fatalf("want a redirect to the provider: %v", p)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(loc.String())
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if !strings.HasPrefix(back, b.e.srv.URL+"/signin/") {
		b.t.Fatalf("the provider answered %d, Location %q", resp.StatusCode, back)
	}
	return b.Get(back)
}

func TestFederationSignIn(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	b := f.browser()
	login := b.authorize(newAuthReq("quiet", "openid profile"))
	for _, l := range []string{"Corp", "Closed", "Microsoft", "GitHub"} {
		button(t, login, l)
	}
	a := newAuthReq("quiet", "openid profile")
	p := b.viaUpstream(b.get(button(t, b.authorize(a), "Corp")))
	q := clientResponse(t, p)
	got := f.redeem(t, "quiet", q.Get("code"), a)
	az := got.Authorization
	if az.Subject == "" || strings.Join(az.AMR, " ") != "pwd mfa" {
		t.Errorf("subject %q amr %v: want a new local user, and the upstream's registered amr values", az.Subject, az.AMR)
	}
	l, err := f.store.(storage.UserLinks).FindUserLink(t.Context(), f.op.srv.URL, "person-1")
	if err != nil || l.UserID != az.Subject || l.Provider != "corp" || !strings.HasPrefix(string(l.Tokens), "sealed:"+signin.TokensPurpose) || l.LastUsed.IsZero() {
		t.Fatalf("link %+v, %v", l, err)
	}
	u, err := f.store.GetUser(t.Context(), az.Subject)
	if err != nil || u.Username != "pat@example.com" || u.Email != "pat@example.com" || !u.EmailVerified || u.Name != "Pat Example" ||
		!strings.Contains(string(u.Claims), `"dept":"Research"`) || u.PasswordHash != "" {
		t.Errorf("provisioned user %+v claims %s, %v", u, u.Claims, err)
	}
}

func TestFederationRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		provider string
		setup    func(f *fedEnv)
		status   int
		want     string
	}{
		{"tampered ID token", "Corp", func(f *fedEnv) {
			f.op.set(func(o *fedOP) {
				o.tamper = func(s string) string {
					parts := strings.Split(s, ".")
					body, _ := base64.RawURLEncoding.DecodeString(parts[1])
					body = []byte(strings.Replace(string(body), "person-1", "person-2", 1))
					parts[1] = base64.RawURLEncoding.EncodeToString(body)
					return strings.Join(parts, ".")
				}
			})
		}, http.StatusBadGateway, "could not be trusted"},
		{"wrong nonce", "Corp", func(f *fedEnv) {
			f.op.set(func(o *fedOP) { o.claims = func(c map[string]any) { c["nonce"] = "another" } })
		},
			http.StatusBadGateway, "could not be trusted"},
		{"wrong issuer, multi-tenant Entra", "Microsoft", func(f *fedEnv) {
			f.entra.set(func(o *fedOP) {
				o.claims = func(c map[string]any) { c["iss"] = o.srv.URL + "/00000000-0000-0000-0000-000000000001/v2.0" }
			})
		}, http.StatusBadGateway, "could not be trusted"},
		{"not known, autoProvision off", "Closed", nil, http.StatusForbidden, "not known here"},
		{"GitHub unverified primary email", "GitHub", func(f *fedEnv) { f.gh.mu.Lock(); f.gh.verified = false; f.gh.mu.Unlock() },
			http.StatusForbidden, "Verify your email address first"},
		{"cancelled upstream", "Corp", func(f *fedEnv) {
			f.op.set(func(o *fedOP) { o.callback = func(v url.Values) { v.Del("code"); v.Set("error", "access_denied") } })
		}, http.StatusForbidden, "Sign-in cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFedEnv(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			b := f.browser()
			p := b.viaUpstream(b.get(button(t, b.authorize(newAuthReq("quiet", "openid")), tc.provider)))
			if p.Status != tc.status || !strings.Contains(p.Body, tc.want) {
				t.Fatalf("want %d with %q; got %v", tc.status, tc.want, p)
			}
			if links, _ := f.store.(storage.UserLinks).FindUserLink(t.Context(), f.op.srv.URL, "person-2"); links.UserID != "" {
				t.Errorf("a tampered token made a link: %+v", links)
			}
		})
	}
}

func TestFederationGitHubAndEntra(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	for _, tc := range []struct{ label, issuer, subject string }{
		{"GitHub", upstream.GitHubIssuer, "583231"},
		{"Microsoft", "", "person-1"},
	} {
		b := f.browser()
		a := newAuthReq("quiet", "openid")
		q := clientResponse(t, b.viaUpstream(b.get(button(t, b.authorize(a), tc.label))))
		az := f.redeem(t, "quiet", q.Get("code"), a).Authorization
		iss := tc.issuer
		if iss == "" {
			iss = f.entra.issuer() // the person's tenant's issuer
		}
		l, err := f.store.(storage.UserLinks).FindUserLink(t.Context(), iss, tc.subject)
		if err != nil || l.UserID != az.Subject {
			t.Errorf("%s: link %+v, %v; want one for sub %s", tc.label, l, err, az.Subject)
		}
		if strings.Join(az.AMR, " ") != map[string]string{"GitHub": signin.AMRExternal, "Microsoft": "pwd mfa"}[tc.label] {
			t.Errorf("%s: amr %v", tc.label, az.AMR)
		}
	}
}

// TestFederationIdPHint: idp:<name> in acr_values sends the browser to
// the provider at once, with login_hint, prompt and (Entra) domain_hint.
func TestFederationIdPHint(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	b := f.browser()
	p := b.authorize(newAuthReq("quiet", "openid", "acr_values", "urn:x idp:entra", "login_hint", "pat@contoso.example",
		"prompt", "login", "domain_hint", "contoso.example"))
	loc := location(t, p)
	q := loc.Query()
	if !strings.HasPrefix(loc.String(), f.entra.srv.URL+"/authorize") || q.Get("login_hint") != "pat@contoso.example" ||
		q.Get("prompt") != "login" || q.Get("domain_hint") != "contoso.example" {
		t.Fatalf("idp:entra: redirected to %s", loc)
	}
	// An unknown idp shows the login page.
	p = b.authorize(newAuthReq("quiet", "openid", "acr_values", "idp:nope"))
	if p.URL.Path != signin.LoginPath {
		t.Errorf("idp:nope: %v", p)
	}
}

// TestFederationLinkFromAccount: a signed-in user links a provider from
// the account page, then signs in with it; and unlinks it there. The
// account page itself signs in through a provider too.
func TestFederationLinkFromAccount(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	b := f.browser()
	p := b.accountSignIn("alice", alicePass)
	if !strings.Contains(p.Body, "Linked providers") || !strings.Contains(p.Body, "No provider is linked") {
		t.Fatalf("account page without the Linked providers section: %v", p)
	}
	// A form without the session's token is refused.
	link := formWith(t, p, "link")
	if p := b.submit(link, "action=link", url.Values{"token": {"x"}}); p.Status != http.StatusForbidden {
		t.Errorf("link without the token: %v", p)
	}
	var closed form
	for _, fm := range forms(p) {
		if in, ok := fm.Input("provider"); ok && in.Value == "closed" {
			closed = fm
		}
	}
	p = b.viaUpstream(b.submit(closed, "action=link", nil))
	if p.URL.Path != signin.AccountPath || !strings.Contains(p.Body, "Closed") || !strings.Contains(p.Body, "Unlink") {
		t.Fatalf("after linking: want the account page with the link; got %v", p)
	}
	// closed has no autoProvision, but person-1 is alice now.
	b2 := f.browser()
	a := newAuthReq("quiet", "openid")
	q := clientResponse(t, b2.viaUpstream(b2.get(button(t, b2.authorize(a), "Closed"))))
	if sub := f.redeem(t, "quiet", q.Get("code"), a).Authorization.Subject; sub != "u-alice" {
		t.Errorf("sign-in through the linked provider: sub %q, want u-alice", sub)
	}
	// The account page's own sign-in offers the providers too.
	b3 := f.browser()
	login := b3.get(signin.AccountPath)
	if p := b3.viaUpstream(b3.get(button(t, login, "Closed"))); p.URL.Path != signin.AccountPath || !strings.Contains(p.Body, "Signed in as <strong>alice</strong>") {
		t.Errorf("account sign-in through a provider: %v", p)
	}
	p = b.submit(formWith(t, p, "unlink"), "action=unlink", nil)
	if p.URL.Path != signin.AccountPath || !strings.Contains(p.Body, "No provider is linked") {
		t.Fatalf("unlink: want the account page without the link; got %v", p)
	}
	if _, err := f.store.FindUserLink(t.Context(), f.op.srv.URL, "person-1"); err == nil {
		t.Error("the link is still there after unlink")
	}
}

// TestFederationUnlinkLastWay: a provisioned user (no password) cannot
// remove their only link.
func TestFederationUnlinkLastWay(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	b := f.browser()
	p := b.viaUpstream(b.get(button(t, b.get(signin.AccountPath), "Corp")))
	if p.URL.Path != signin.AccountPath {
		t.Fatalf("account sign-in through corp: %v", p)
	}
	p = b.submit(formWith(t, p, "unlink"), "action=unlink", nil)
	if p.Status != http.StatusConflict || !strings.Contains(p.Body, "only way to sign in") {
		t.Errorf("unlinking the only way in: %v", p)
	}
}

// TestFederationSecondFactor: a user with TOTP who signs in through a
// provider that did no second factor takes the second step; an upstream
// amr with mfa counts as one.
func TestFederationSecondFactor(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	b := f.browser()
	p := b.accountSignIn("alice", alicePass)
	b.enrol(p)
	p = b.get(signin.AccountPath)
	var closed form
	for _, fm := range forms(p) {
		if in, ok := fm.Input("provider"); ok && in.Value == "closed" {
			closed = fm
		}
	}
	if p = b.viaUpstream(b.submit(closed, "action=link", nil)); p.URL.Path != signin.AccountPath {
		t.Fatalf("link: %v", p)
	}
	f.op.set(func(o *fedOP) { o.claims = func(c map[string]any) { c["amr"] = []string{"pwd"} } })
	b2 := f.browser()
	p = b2.viaUpstream(b2.get(button(t, b2.authorize(newAuthReq("quiet", "openid")), "Closed")))
	if p.URL.Path != signin.MFAPath {
		t.Fatalf("a TOTP user through a single-factor provider: want the second step; got %v", p)
	}
	f.op.set(func(o *fedOP) { o.claims = func(c map[string]any) { c["amr"] = []string{"pwd", "mfa"} } })
	b3 := f.browser()
	a := newAuthReq("quiet", "openid")
	q := clientResponse(t, b3.viaUpstream(b3.get(button(t, b3.authorize(a), "Closed"))))
	if amr := f.redeem(t, "quiet", q.Get("code"), a).Authorization.AMR; strings.Join(amr, " ") != "pwd mfa" {
		t.Errorf("amr %v, want the provider's pwd mfa", amr)
	}
}

// FuzzFederationCallback sends arbitrary paths and queries to the
// external providers' routes, and arbitrary callback queries carrying the
// state of a real sign-in under way: never a server error (500; 502 says
// the sign-in's answer was not trusted), never a sign-in (the provider
// answered no code for them).
func FuzzFederationCallback(f *testing.F) {
	f.Add("corp/callback", "state=x&code=y")
	f.Add("corp", "id=%ff&returnUrl=//evil.example")
	f.Add("nope/callback/more", "state=AAAA&state=BBBB")
	f.Add("corp/callback", "code=c&iss=http%3A%2F%2Fevil&error=access_denied&error_description=%00")
	fe := newFedEnv(f)
	f.Fuzz(func(t *testing.T, path, query string) {
		if !sendable(path) || !sendable(query) || strings.ContainsAny(path, "?%") {
			return
		}
		b := fe.browserFor(t)
		p := b.get(signin.FederationPath + path + "?" + query)
		if p.Status == http.StatusInternalServerError || strings.Contains(p.Header.Get("Location"), "login=") {
			t.Fatalf("GET /signin/%s?%s: status %d, Location %q", path, query, p.Status, p.Header.Get("Location"))
		}
		// With a real state of this browser, and the rest fuzzed.
		start := b.get(button(t, b.authorize(newAuthReq("quiet", "openid")), "Corp"))
		up := location(t, start)
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		q.Set("state", up.Query().Get("state"))
		q.Del("code")
		p = b.get(signin.FederationPath + "corp/callback?" + q.Encode())
		if p.Status == http.StatusInternalServerError || strings.Contains(p.Header.Get("Location"), "login=") {
			t.Fatalf("callback %s: status %d, Location %q", q.Encode(), p.Status, p.Header.Get("Location"))
		}
	})
}

// TestFederationProvisionTakesNoUsername: a person whose upstream
// preferred_username is an existing user's username gets another username,
// and the new user's claims do not carry the taken name either (it would
// reach relying parties as preferred_username, which is the username
// unless the user's claims give one).
func TestFederationProvisionTakesNoUsername(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	f.op.set(func(o *fedOP) {
		o.claims = func(c map[string]any) {
			c["preferred_username"] = "alice"
			c["email_verified"] = false
		}
	})
	b := f.browser()
	a := newAuthReq("quiet", "openid profile")
	q := clientResponse(t, b.viaUpstream(b.get(button(t, b.authorize(a), "Corp"))))
	sub := f.redeem(t, "quiet", q.Get("code"), a).Authorization.Subject
	u, err := f.store.GetUser(t.Context(), sub)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := claims.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	info, err := rs.UserInfo(u, []string{"openid", "profile"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Username == "alice" || info["preferred_username"] != u.Username {
		t.Errorf("provisioned user %q: preferred_username %v, want the user's own username", u.Username, info["preferred_username"])
	}
}

// TestFederationProvisionNoUnverifiedEmailUsername: an upstream's
// preferred_username that looks like an email address, and is not the
// email it verified, does not become the username: it would read as an
// address the person was never shown to own (ceo@victim.example).
func TestFederationProvisionNoUnverifiedEmailUsername(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	f.op.set(func(o *fedOP) {
		o.claims = func(c map[string]any) {
			c["preferred_username"] = "ceo@victim.example"
			c["email_verified"] = false
		}
	})
	b := f.browser()
	a := newAuthReq("quiet", "openid profile")
	q := clientResponse(t, b.viaUpstream(b.get(button(t, b.authorize(a), "Corp"))))
	sub := f.redeem(t, "quiet", q.Get("code"), a).Authorization.Subject
	u, err := f.store.GetUser(t.Context(), sub)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(u.Username, "@") || !strings.HasPrefix(u.Username, "corp:") {
		t.Errorf("provisioned username %q, want corp:<subject>", u.Username)
	}
}

// TestFederationCallbackMixUpAndReplay: a callback carrying one
// provider's state at another provider's callback (a mix-up) is refused
// and spends nothing; the right one signs in once; its replay is refused.
func TestFederationCallbackMixUpAndReplay(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	b := f.browser()
	up := location(t, b.get(button(t, b.authorize(newAuthReq("quiet", "openid")), "Corp")))
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(up.String())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if p := b.get("/signin/closed/callback?" + back.RawQuery); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "cannot be finished here") {
		t.Fatalf("corp's callback at closed: %v", p)
	}
	if q := clientResponse(t, b.get(back.RequestURI())); q.Get("code") == "" {
		t.Fatalf("corp's callback: want a code; got %v", q)
	}
	if p := b.get(back.RequestURI()); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "cannot be finished here") {
		t.Errorf("replayed callback: %v", p)
	}
}

// TestFederationMaxAge: an application's max_age goes to the provider,
// and a sign-in whose auth_time there is older than max_age is refused
// (else the application would get auth_time now for a person who did not
// sign in again); max_age=0 asks the provider for prompt=login.
// TestFederationAccountSignInAsksAgain: a sign-in to the account pages
// through a provider (what lets a session add a way in) asks the provider
// to sign the person in again (prompt=login, max_age=0), and refuses a
// provider that answers from an older sign-in of its own.
func TestFederationAccountSignInAsksAgain(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	f.op.set(func(o *fedOP) { o.claims = func(c map[string]any) { c["auth_time"] = start.Add(-time.Hour).Unix() } })
	b := f.browser()
	login := b.get(signin.LoginPath + "?returnUrl=%2Faccount")
	up := location(t, b.get(button(t, login, "Corp")))
	if q := up.Query(); q.Get("prompt") != "login" || q.Get("max_age") != "0" {
		t.Errorf("account sign-in sent upstream prompt %q, max_age %q; want login and 0", q.Get("prompt"), q.Get("max_age"))
	}
	b2 := f.browser()
	p := b2.viaUpstream(b2.get(button(t, b2.get(signin.LoginPath+"?returnUrl=%2Faccount"), "Corp")))
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "did not ask you to sign in again") {
		t.Errorf("account sign-in with an auth_time an hour old: want the refusal page; got %v", p)
	}
}

func TestFederationMaxAge(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	f.op.set(func(o *fedOP) { o.claims = func(c map[string]any) { c["auth_time"] = start.Add(-time.Hour).Unix() } })
	b := f.browser()
	up := location(t, b.get(button(t, b.authorize(newAuthReq("quiet", "openid", "max_age", "300")), "Corp")))
	if got := up.Query().Get("max_age"); got != "300" {
		t.Errorf("max_age sent upstream: %q, want 300", got)
	}
	b2 := f.browser()
	p := b2.viaUpstream(b2.get(button(t, b2.authorize(newAuthReq("quiet", "openid", "max_age", "300")), "Corp")))
	if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "did not ask you to sign in again") {
		t.Errorf("auth_time an hour old with max_age 300: want the refusal page; got %v", p)
	}
	up = location(t, b2.get(button(t, b2.authorize(newAuthReq("quiet", "openid", "max_age", "0")), "Corp")))
	if up.Query().Get("prompt") != "login" {
		t.Errorf("max_age=0: prompt %q sent upstream, want login", up.Query().Get("prompt"))
	}
	// A recent auth_time signs in.
	f.op.set(func(o *fedOP) { o.claims = func(c map[string]any) { c["auth_time"] = start.Add(-time.Minute).Unix() } })
	b3 := f.browser()
	a := newAuthReq("quiet", "openid", "max_age", "300")
	if q := clientResponse(t, b3.viaUpstream(b3.get(button(t, b3.authorize(a), "Corp")))); q.Get("code") == "" {
		t.Errorf("recent auth_time: %v", q)
	}
}
