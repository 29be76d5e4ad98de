package signin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/passkey"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/testsupport/browsertest"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// pkEnv is a server with passkeys on a memory store, reached as
// http://localhost:PORT (WebAuthn's one plain-http host), or by its IP
// address when ip is set (passkeys off).
type pkEnv struct {
	*env
	ep     *signin.Endpoint
	rpID   string
	origin string
}

func newPasskeyEnv(t testing.TB, ip bool) *pkEnv {
	t.Helper()
	clk := testsupport.NewClock(start)
	store := memory.New(memory.Options{Now: clk.Now})
	seedUsers(t, store)
	log := &testsupport.LogBuffer{}
	opts := options(t, store, clk, log)
	opts.Passkeys = passkey.New(store, passkey.Options{Now: clk.Now})
	ep, err := signin.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Options{Endpoints: []endpoint.Endpoint{ep}, Logger: newLogger(log)}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("log:\n%s", log)
		}
	})
	if !ip {
		u, _ := url.Parse(srv.URL)
		srv.URL = "http://localhost:" + u.Port()
	}
	u, _ := url.Parse(srv.URL)
	e := &env{t: t, clk: clk, store: store, srv: srv, tokens: opts.Tokens.(*tokens.Service), log: log}
	return &pkEnv{env: e, ep: ep, rpID: u.Hostname(), origin: srv.URL}
}

// passkeysView is the account page's passkey section for b's session.
func (p *pkEnv) passkeysView(t testing.TB, b *browser, userID string) signin.PasskeysView {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, p.srv.URL+signin.AccountPath, nil)
	req = req.WithContext(endpoint.WithIssuer(req.Context(), p.srv.URL))
	u, _ := url.Parse(p.srv.URL + "/account")
	for _, c := range b.Client.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	v, err := p.ep.PasskeysViewOf(req, userID)
	if err != nil {
		t.Fatalf("passkeysView: %v", err)
	}
	return v
}

// jsonOf decodes a ceremony endpoint's answer, failing unless it is
// status.
func jsonOf(t testing.TB, pg *page, status int, v any) {
	t.Helper()
	if pg.Status != status || !strings.HasPrefix(pg.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d (%s), want %d JSON:\n%s", pg.Status, pg.Header.Get("Content-Type"), status, cut(pg.Body))
	}
	if err := json.Unmarshal([]byte(pg.Body), v); err != nil {
		t.Fatalf("answer %q: %v", pg.Body, err)
	}
}

func problemOf(t testing.TB, pg *page, status int) string {
	t.Helper()
	var e struct{ Error string }
	jsonOf(t, pg, status, &e)
	return e.Error
}

// register adds key as a passkey named name for the user signed in
// through b, answering with rpID and origin; it returns the finish
// endpoint's answer.
func (p *pkEnv) register(t testing.TB, b *browser, key *softKey, name, rpID, origin string) *page {
	t.Helper()
	v := p.passkeysView(t, b, "u-alice")
	if !v.Enabled || v.Token == "" {
		t.Fatalf("passkeys view %+v: want enabled with a token", v)
	}
	var o creationOptions
	jsonOf(t, b.post(signin.PasskeyRegisterOptionsPath, url.Values{"token": {v.Token}, "name": {name}}, nil), http.StatusOK, &o)
	return b.post(signin.PasskeyRegisterFinishPath, url.Values{"token": {v.Token}, "credential": {key.create(t, o, rpID, origin)}}, nil)
}

// loginPage starts a sign-in to the quiet client in b and returns the
// login form's id and token.
func loginPage(t testing.TB, b *browser) (id, token string, pg *page) {
	t.Helper()
	pg = b.authorize(newAuthReq("quiet", "openid"))
	if pg.URL.Path != signin.LoginPath {
		t.Fatalf("at %s, want the login page", pg.URL)
	}
	f := browsertest.Forms(pg.Body)[0]
	return f.Value("id"), f.Value("token"), pg
}

// loginOptions asks for sign-in options for the login page's request.
func loginOptions(t testing.TB, b *browser, id, token string) requestOptions {
	t.Helper()
	var o requestOptions
	jsonOf(t, b.post(signin.PasskeyLoginOptionsPath, url.Values{"id": {id}, "token": {token}}, nil), http.StatusOK, &o)
	return o
}

func finishLogin(b *browser, id, token, credential string) *page {
	return b.post(signin.PasskeyLoginPath, url.Values{"id": {id}, "token": {token}, "credential": {credential}}, nil)
}

// registered is an environment where alice has registered key (with a
// password sign-in first), and the browser she did it in.
func registered(t *testing.T, key *softKey) (*pkEnv, *browser) {
	t.Helper()
	p := newPasskeyEnv(t, false)
	b := p.browser()
	b.signIn()
	var ok struct{ Name string }
	jsonOf(t, p.register(t, b, key, "  Test key  ", p.rpID, p.origin), http.StatusOK, &ok)
	if ok.Name != "Test key" {
		t.Fatalf("registered %q, want the trimmed name", ok.Name)
	}
	return p, b
}

func TestPasskeyRegisterThenSignIn(t *testing.T) {
	t.Parallel()
	key := newSoftKey(t)
	key.uv = true
	p, b := registered(t, key)

	ps, err := p.store.(passkey.Store).ListPasskeys(t.Context(), "u-alice")
	if err != nil || len(ps) != 1 {
		t.Fatalf("ListPasskeys = %v, %v; want one", ps, err)
	}
	pk := ps[0]
	if pk.ID != b64.EncodeToString(key.credID) || pk.Name != "Test key" || pk.BackupEligible || !pk.UserVerified ||
		pk.AttestationType != "none" || !slices.Equal(pk.Transports, []string{"internal", "hybrid"}) || pk.Attachment != "platform" {
		t.Errorf("stored %+v", pk)
	}
	if want := passkey.UserHandle("u-alice"); string(key.userHandle) != string(want) || strings.Contains(string(key.userHandle), "alice") {
		t.Errorf("user handle %x, want SHA-256 of the user id %x", key.userHandle, want)
	}
	v := p.passkeysView(t, b, "u-alice")
	if len(v.Items) != 1 || v.Items[0].Name != "Test key" || v.Items[0].Synced || v.Items[0].LastUsedText != "never" {
		t.Errorf("account view %+v", v)
	}

	// A second registration of the same authenticator: excluded in the
	// options, refused if the browser makes it anyway.
	var o creationOptions
	jsonOf(t, b.post(signin.PasskeyRegisterOptionsPath, url.Values{"token": {v.Token}, "name": {"again"}}, nil), http.StatusOK, &o)
	if len(o.PublicKey.ExcludeCredentials) != 1 || o.PublicKey.ExcludeCredentials[0].ID != pk.ID ||
		o.PublicKey.AuthenticatorSelection.ResidentKey != "preferred" || o.PublicKey.AuthenticatorSelection.UserVerification != "preferred" || o.PublicKey.RP.ID != p.rpID {
		t.Errorf("creation options %+v: want alice's passkey excluded, resident key and UV preferred, rp %s", o.PublicKey, p.rpID)
	}
	msg := problemOf(t, b.post(signin.PasskeyRegisterFinishPath, url.Values{"token": {v.Token}, "credential": {key.create(t, o, p.rpID, p.origin)}}, nil), http.StatusBadRequest)
	contains(t, "a second registration", msg, "registered already")

	// Another browser signs in with the passkey alone.
	b2 := p.browser()
	id, token, pg := loginPage(t, b2)
	contains(t, "the login page", pg.Body, `autocomplete="username webauthn"`, "Sign in with a passkey", `<script src="/ui/passkey.js?v=`)
	if csp := pg.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("login page CSP %q: want script-src 'self', nothing inline", csp)
	}
	o2 := loginOptions(t, b2, id, token)
	if o2.PublicKey.RPID != p.rpID || len(o2.PublicKey.AllowCredentials) != 0 || o2.PublicKey.UserVerification != "preferred" {
		t.Errorf("request options %+v: want rp %s, discoverable (no allow list), UV preferred", o2.PublicKey, p.rpID)
	}
	key.counter = 0
	res := finishLogin(b2, id, token, key.get(t, o2.PublicKey.Challenge, p.rpID, p.origin))
	a := newAuthReq("quiet", "openid")
	q := clientResponse(t, res)
	got := p.redeem(t, "quiet", q.Get("code"), a)
	if got.Subject != "u-alice" || !slices.Equal(got.AMR, []string{"hwk", "user", "mfa"}) {
		t.Errorf("code for %q with amr %v; want u-alice with [hwk user mfa]", got.Subject, got.AMR)
	}
	after, err := p.store.(passkey.Store).GetPasskey(t.Context(), pk.ID)
	if err != nil || after.LastUsed.IsZero() || after.CloneWarning {
		t.Errorf("after the sign-in %+v, %v: want LastUsed set, no clone warning", after, err)
	}
}

func TestPasskeySyncedWithoutUV(t *testing.T) {
	t.Parallel()
	key := newSoftKey(t)
	key.be, key.bs = true, true
	p, _ := registered(t, key)
	b := p.browser()
	id, token, _ := loginPage(t, b)
	o := loginOptions(t, b, id, token)
	q := clientResponse(t, finishLogin(b, id, token, key.get(t, o.PublicKey.Challenge, p.rpID, p.origin)))
	got := p.redeem(t, "quiet", q.Get("code"), newAuthReq("quiet", "openid"))
	if !slices.Equal(got.AMR, []string{"swk"}) {
		t.Errorf("amr %v, want [swk] for a synced passkey without user verification", got.AMR)
	}
	ps, _ := p.store.(passkey.Store).ListPasskeys(t.Context(), "u-alice")
	if len(ps) != 1 || !passkey.Synced(ps[0]) {
		t.Errorf("stored %+v: want synced", ps)
	}
}

// refusedLogin asserts that pg is the login page again with msg.
func refusedLogin(t testing.TB, pg *page, msg string) {
	t.Helper()
	if pg.Status != http.StatusBadRequest || !strings.Contains(pg.Body, `action="/account/login"`) || pg.Header.Get("Location") != "" {
		t.Fatalf("status %d at %s, want the login page again with 400:\n%s", pg.Status, pg.URL, cut(pg.Body))
	}
	contains(t, "the refusal", pg.Body, msg, `id="passkey-login-status" role="alert">`)
	if strings.Contains(pg.Body, "signet.session") {
		t.Error("a session cookie was mentioned")
	}
}

func TestPasskeySignInRefused(t *testing.T) {
	t.Parallel()
	key := newSoftKey(t)
	key.counter = 10
	p, _ := registered(t, key)

	t.Run("wrong origin", func(t *testing.T) {
		b := p.browser()
		id, token, _ := loginPage(t, b)
		o := loginOptions(t, b, id, token)
		refusedLogin(t, finishLogin(b, id, token, key.get(t, o.PublicKey.Challenge, p.rpID, "http://evil.localhost:1")), "could not be verified")
	})
	t.Run("wrong rp id", func(t *testing.T) {
		b := p.browser()
		id, token, _ := loginPage(t, b)
		o := loginOptions(t, b, id, token)
		refusedLogin(t, finishLogin(b, id, token, key.get(t, o.PublicKey.Challenge, "evil.example", p.origin)), "could not be verified")
	})
	t.Run("challenge of another browser", func(t *testing.T) {
		victim, attacker := p.browser(), p.browser()
		vid, vtoken, _ := loginPage(t, victim)
		vo := loginOptions(t, victim, vid, vtoken)
		id, token, _ := loginPage(t, attacker)
		loginOptions(t, attacker, id, token)
		refusedLogin(t, finishLogin(attacker, id, token, key.get(t, vo.PublicKey.Challenge, p.rpID, p.origin)), "could not be verified")
		// Without any ceremony of its own.
		fresh := p.browser()
		fid, ftoken, _ := loginPage(t, fresh)
		refusedLogin(t, finishLogin(fresh, fid, ftoken, key.get(t, vo.PublicKey.Challenge, p.rpID, p.origin)), "expired or was already used")
	})
	t.Run("replayed challenge", func(t *testing.T) {
		b := p.browser()
		id, token, _ := loginPage(t, b)
		o := loginOptions(t, b, id, token)
		u, _ := url.Parse(p.srv.URL + "/account")
		var ceremony *http.Cookie
		for _, c := range b.Client.Jar.Cookies(u) {
			if c.Name == "signet.webauthn" {
				ceremony = c
			}
		}
		if ceremony == nil {
			t.Fatal("no ceremony cookie after the options")
		}
		key.counter++
		answer := key.get(t, o.PublicKey.Challenge, p.rpID, p.origin)
		// Another pending request of the same browser cannot use it.
		other, otherToken, _ := loginPage(t, b)
		refusedLogin(t, finishLogin(b, other, otherToken, answer), "expired or was already used")
		// The ceremony was used up by that attempt: the same answer with
		// the same cookie again is refused too.
		b.Client.Jar.SetCookies(u, []*http.Cookie{ceremony})
		refusedLogin(t, finishLogin(b, id, token, answer), "expired or was already used")
	})
	t.Run("expired ceremony", func(t *testing.T) {
		b := p.browser()
		id, token, _ := loginPage(t, b)
		o := loginOptions(t, b, id, token)
		p.clk.Advance(passkey.DefaultCeremonyLifetime + 1)
		key.counter++
		refusedLogin(t, finishLogin(b, id, token, key.get(t, o.PublicKey.Challenge, p.rpID, p.origin)), "expired or was already used")
	})
	t.Run("unknown credential", func(t *testing.T) {
		b := p.browser()
		id, token, _ := loginPage(t, b)
		o := loginOptions(t, b, id, token)
		stranger := newSoftKey(t)
		stranger.userHandle = passkey.UserHandle("u-alice")
		refusedLogin(t, finishLogin(b, id, token, stranger.get(t, o.PublicKey.Challenge, p.rpID, p.origin)), "not registered here")
	})
	t.Run("user handle of another user", func(t *testing.T) {
		b := p.browser()
		id, token, _ := loginPage(t, b)
		o := loginOptions(t, b, id, token)
		forged := *key
		forged.userHandle = passkey.UserHandle("u-bob")
		forged.counter = key.counter + 100
		refusedLogin(t, finishLogin(b, id, token, forged.get(t, o.PublicKey.Challenge, p.rpID, p.origin)), "does not belong to the account")
	})
	t.Run("bad answer", func(t *testing.T) {
		b := p.browser()
		id, token, _ := loginPage(t, b)
		loginOptions(t, b, id, token)
		refusedLogin(t, finishLogin(b, id, token, `{"id":"x"`), "could not be verified")
	})
	t.Run("disabled user", func(t *testing.T) {
		if err := p.store.UpdateUser(t.Context(), "u-alice", func(u *storage.User) error { u.Disabled = true; return nil }); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = p.store.UpdateUser(context.Background(), "u-alice", func(u *storage.User) error { u.Disabled = false; return nil })
		})
		b := p.browser()
		id, token, _ := loginPage(t, b)
		o := loginOptions(t, b, id, token)
		key.counter += 1000
		refusedLogin(t, finishLogin(b, id, token, key.get(t, o.PublicKey.Challenge, p.rpID, p.origin)), "This account cannot sign in")
	})
	t.Run("no form token", func(t *testing.T) {
		b := p.browser()
		id, _, _ := loginPage(t, b)
		if pg := b.post(signin.PasskeyLoginOptionsPath, url.Values{"id": {id}}, nil); pg.Status != http.StatusForbidden {
			t.Errorf("options without the form token: status %d, want 403", pg.Status)
		}
		if pg := b.post(signin.PasskeyLoginOptionsPath, url.Values{"id": {id}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}); pg.Status != http.StatusForbidden {
			t.Errorf("a cross-site options request: status %d, want 403", pg.Status)
		}
	})
}

// TestPasskeyCounterRegression: WebAuthn §7.2 step 17. A counter that did
// not move forward refuses the sign-in and flags the passkey, which stays
// refused (even with a higher counter) until it is removed.
func TestPasskeyCounterRegression(t *testing.T) {
	t.Parallel()
	key := newSoftKey(t)
	key.counter = 5
	p, _ := registered(t, key)
	signIn := func(counter uint32) *page {
		b := p.browser()
		id, token, _ := loginPage(t, b)
		o := loginOptions(t, b, id, token)
		key.counter = counter
		return finishLogin(b, id, token, key.get(t, o.PublicKey.Challenge, p.rpID, p.origin))
	}
	clientResponse(t, signIn(6))
	refusedLogin(t, signIn(6), "may have been copied")
	pk, err := p.store.(passkey.Store).GetPasskey(t.Context(), b64.EncodeToString(key.credID))
	if err != nil || !pk.CloneWarning || pk.SignCount != 6 {
		t.Fatalf("after the regression %+v, %v: want the clone warning, the counter kept at 6", pk, err)
	}
	refusedLogin(t, signIn(7), "may have been copied")
}

func TestPasskeyAccount(t *testing.T) {
	t.Parallel()
	key := newSoftKey(t)
	p, b := registered(t, key)
	v := p.passkeysView(t, b, "u-alice")
	id := v.Items[0].ID

	// Registering needs the session's form token, and a name.
	if msg := problemOf(t, b.post(signin.PasskeyRegisterOptionsPath, url.Values{"name": {"x"}}, nil), http.StatusForbidden); !strings.Contains(msg, "expired") {
		t.Errorf("no token: %q", msg)
	}
	contains(t, "no name", problemOf(t, b.post(signin.PasskeyRegisterOptionsPath, url.Values{"token": {v.Token}, "name": {"  "}}, nil), http.StatusBadRequest), "give the passkey a name")
	if msg := problemOf(t, p.browser().post(signin.PasskeyRegisterOptionsPath, url.Values{"token": {v.Token}, "name": {"x"}}, nil), http.StatusUnauthorized); !strings.Contains(msg, "session has ended") {
		t.Errorf("without a session: %q", msg)
	}
	// A registration answered for another origin or relying party.
	contains(t, "wrong origin", problemOf(t, p.register(t, b, newSoftKey(t), "other", p.rpID, "http://evil.localhost"), http.StatusBadRequest), "could not be verified")
	contains(t, "wrong rp", problemOf(t, p.register(t, b, newSoftKey(t), "other", "evil.example", p.origin), http.StatusBadRequest), "could not be verified")

	// Rename, then remove, through the page's forms.
	pg := b.post(signin.PasskeyRenamePath, url.Values{"token": {v.Token}, "passkey": {id}, "name": {"Laptop"}}, nil)
	if pg.URL.Path != signin.AccountPath {
		t.Fatalf("rename: %v", pg)
	}
	if v := p.passkeysView(t, b, "u-alice"); v.Items[0].Name != "Laptop" {
		t.Errorf("after the rename %+v", v.Items)
	}
	// Bob cannot remove alice's passkey.
	bob := p.browser()
	if pg := bob.login(bob.authorize(newAuthReq("quiet", "openid")), "bob", "bob's password"); pg.Status != http.StatusSeeOther && pg.Status != http.StatusFound {
		t.Fatalf("bob's sign-in: %v", pg)
	}
	bv := p.passkeysView(t, bob, "u-bob")
	if pg := bob.post(signin.PasskeyRemovePath, url.Values{"token": {bv.Token}, "passkey": {id}}, nil); pg.Status != http.StatusBadRequest {
		t.Errorf("bob removing alice's passkey: %v", pg)
	}
	if pg := b.post(signin.PasskeyRemovePath, url.Values{"token": {bv.Token}, "passkey": {id}}, nil); pg.Status != http.StatusForbidden {
		t.Errorf("alice with bob's token: %v", pg)
	}
	if pg := b.post(signin.PasskeyRemovePath, url.Values{"token": {v.Token}, "passkey": {id}}, nil); pg.URL.Path != signin.AccountPath {
		t.Fatalf("remove: %v", pg)
	}
	if v := p.passkeysView(t, b, "u-alice"); len(v.Items) != 0 {
		t.Errorf("after the removal %+v", v.Items)
	}
	// The removed passkey signs in no more.
	b2 := p.browser()
	lid, token, _ := loginPage(t, b2)
	o := loginOptions(t, b2, lid, token)
	key.counter++
	refusedLogin(t, finishLogin(b2, lid, token, key.get(t, o.PublicKey.Challenge, p.rpID, p.origin)), "not registered here")
}

// TestPasskeyIPHost: on an issuer whose host is an IP address passkeys are
// off: the login page offers none and runs no script, the ceremonies say
// why, and so does the account page's section.
func TestPasskeyIPHost(t *testing.T) {
	t.Parallel()
	p := newPasskeyEnv(t, true)
	b := p.browser()
	id, token, pg := loginPage(t, b)
	if strings.Contains(pg.Body, "passkey") || strings.Contains(pg.Body, "<script") || strings.Contains(pg.Body, "webauthn") {
		t.Errorf("the login page on an IP host offers passkeys:\n%s", cut(pg.Body))
	}
	if csp := pg.Header.Get("Content-Security-Policy"); strings.Contains(csp, "script-src") {
		t.Errorf("CSP %q: want no scripts", csp)
	}
	contains(t, "options", problemOf(t, b.post(signin.PasskeyLoginOptionsPath, url.Values{"id": {id}, "token": {token}}, nil), http.StatusBadRequest),
		"Passkeys are off here", "WebAuthn needs a domain name (localhost works)")
	b.signIn()
	v := p.passkeysView(t, b, "u-alice")
	if v.Enabled || !strings.Contains(v.Off, "WebAuthn needs a domain name (localhost works)") {
		t.Errorf("account view %+v: want off, saying why", v)
	}
	acct := b.get(signin.AccountPath)
	contains(t, "the account page", acct.Body, `id="passkeys-off"`, "WebAuthn needs a domain name (localhost works)")
	if strings.Contains(acct.Body, "<script") || strings.Contains(acct.Header.Get("Content-Security-Policy"), "script-src") {
		t.Error("the account page on an IP host runs a script")
	}
}

// TestPasskeysOffWithoutService: without Options.Passkeys nothing of
// passkeys is served or shown.
func TestPasskeysOffWithoutService(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	pg := b.authorize(newAuthReq("quiet", "openid"))
	if strings.Contains(pg.Body, "passkey") || strings.Contains(pg.Body, "<script") {
		t.Errorf("login page without passkeys:\n%s", cut(pg.Body))
	}
	if pg := b.get(signin.PasskeyScriptPath); pg.Status != http.StatusNotFound {
		t.Errorf("the script without passkeys: status %d", pg.Status)
	}
}

var _ storage.Passkeys = (*memory.Store)(nil)

// contains fails t unless s has each of wants.
func contains(t testing.TB, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, cut(s))
		}
	}
}

// TestPasskeyAccountPage: the real account page lists the passkey, runs
// the passkey script (and only Signet's), and a passkey signs in to the
// account pages too; one without user verification takes the second
// factor of a user who has TOTP, one with it does not.
func TestPasskeyAccountPage(t *testing.T) {
	t.Parallel()
	key := newSoftKey(t)
	p, b := registered(t, key)
	pg := b.get(signin.AccountPath)
	if pg.Status != http.StatusOK {
		t.Fatalf("account page: %v", pg)
	}
	contains(t, "the account page", pg.Body, `id="passkeys"`, "Test key", "Device-bound", "last used never",
		`<script src="/ui/passkey.js?v=`, `id="passkey-register"`, "Rename or remove")
	if csp := pg.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("account page CSP %q", csp)
	}
	secret, _ := b.enrol(pg)

	// signInToAccount signs in at /account with the passkey.
	signInToAccount := func(b *browser) *page {
		t.Helper()
		lp := b.get(signin.AccountPath)
		f := browsertest.Forms(lp.Body)[0]
		ret, token := f.Value("returnUrl"), f.Value("token")
		if lp.URL.Path != signin.LoginPath || ret != signin.AccountPath || f.Value("id") != "" {
			t.Fatalf("/account without a session: %v", lp)
		}
		var o requestOptions
		jsonOf(t, b.post(signin.PasskeyLoginOptionsPath, url.Values{"id": {""}, "returnUrl": {ret}, "token": {token}}, nil), http.StatusOK, &o)
		key.counter++
		return b.post(signin.PasskeyLoginPath, url.Values{"id": {""}, "returnUrl": {ret}, "token": {token},
			"credential": {key.get(t, o.PublicKey.Challenge, p.rpID, p.origin)}}, nil)
	}
	key.uv = false
	b2 := p.browser()
	step := signInToAccount(b2)
	if step.URL.Path != signin.MFAPath {
		t.Fatalf("a passkey without user verification for a user with TOTP: at %s, want the second step", step.URL)
	}
	acct := b2.enterCode(step, p.nextCode(t, secret))
	if acct.URL.Path != signin.AccountPath {
		t.Fatalf("after the code: %v", acct)
	}
	contains(t, "the account page's sessions", acct.Body, "security key")

	key.uv = true
	if acct := signInToAccount(p.browser()); acct.URL.Path != signin.AccountPath || acct.Status != http.StatusOK {
		t.Fatalf("a passkey with user verification: at %s (status %d), want the account page directly", acct.URL, acct.Status)
	}
}

// TestPasskeyRegisterIntoAnotherAccount: a registration begun by alice
// cannot be finished by bob's session, even with alice's ceremony cookie
// (an attacker's authenticator would then sign in as alice, or a victim's
// as the attacker): nothing is stored for either.
func TestPasskeyRegisterIntoAnotherAccount(t *testing.T) {
	t.Parallel()
	p := newPasskeyEnv(t, false)
	alice := p.browser()
	alice.signIn()
	v := p.passkeysView(t, alice, "u-alice")
	var o creationOptions
	jsonOf(t, alice.post(signin.PasskeyRegisterOptionsPath, url.Values{"token": {v.Token}, "name": {"x"}}, nil), http.StatusOK, &o)
	u, _ := url.Parse(p.srv.URL + "/account")
	var ceremony *http.Cookie
	for _, c := range alice.Client.Jar.Cookies(u) {
		if c.Name == "signet.webauthn" {
			ceremony = c
		}
	}
	if ceremony == nil {
		t.Fatal("no ceremony cookie after the options")
	}
	bob := p.browser()
	if pg := bob.login(bob.authorize(newAuthReq("quiet", "openid")), "bob", "bob's password"); pg.Status != http.StatusSeeOther && pg.Status != http.StatusFound {
		t.Fatalf("bob's sign-in: %v", pg)
	}
	bv := p.passkeysView(t, bob, "u-bob")
	bob.Client.Jar.SetCookies(u, []*http.Cookie{ceremony})
	key := newSoftKey(t)
	pg := bob.post(signin.PasskeyRegisterFinishPath, url.Values{"token": {bv.Token}, "credential": {key.create(t, o, p.rpID, p.origin)}}, nil)
	contains(t, "bob finishing alice's registration", problemOf(t, pg, http.StatusBadRequest), "expired or was already used")
	for _, user := range []string{"u-alice", "u-bob"} {
		if ps, err := p.store.(passkey.Store).ListPasskeys(t.Context(), user); err != nil || len(ps) != 0 {
			t.Errorf("%s's passkeys: %v, %v; want none", user, ps, err)
		}
	}
}
