package signin_test

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/opaque"
	"github.com/signetid/signet/internal/passkey"
	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/totp"
	"github.com/signetid/signet/storage"
)

// old is a little more than RecentSignIn: a sign-in that long ago may no
// longer add a way in.
const old = signin.RecentSignIn + time.Second

// signInAgainRE is the account page's "Sign in again" link.
var signInAgainRE = regexp.MustCompile(`<a class="button secondary" href="([^"]+)">Sign in again</a>`)

// signInAgain is the href of p's "Sign in again" links: the login page
// for the account, the same for every section (count says how many).
func signInAgain(t testing.TB, p *page, count int) string {
	t.Helper()
	ms := signInAgainRE.FindAllStringSubmatch(p.Body, -1)
	if len(ms) != count {
		t.Fatalf("%d \"Sign in again\" links on the page at %s (status %d), want %d:\n%s", len(ms), p.URL, p.Status, count, cut(p.Body))
	}
	if count == 0 {
		return ""
	}
	href := strings.ReplaceAll(ms[0][1], "&amp;", "&")
	u, err := url.Parse(href)
	if err != nil || u.Path != signin.LoginPath || u.Query().Get("returnUrl") != signin.AccountPath || u.Host != "" {
		t.Fatalf("\"Sign in again\" goes to %q, want %s?returnUrl=%s", href, signin.LoginPath, signin.AccountPath)
	}
	return href
}

// sessionOf is the stored session of b's cookie.
func (e *env) sessionOf(t testing.TB, b *browser) storage.Session {
	t.Helper()
	u, _ := url.Parse(e.srv.URL)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == session.CookieName {
			s, err := e.store.GetSession(t.Context(), opaque.Key(c.Value), e.clk.Now())
			if err != nil {
				t.Fatalf("the browser's session: %v", err)
			}
			return s
		}
	}
	t.Fatal("the browser has no session cookie")
	return storage.Session{}
}

// refusedOld asserts that p is the account page refusing an action for
// an old sign-in.
func refusedOld(t testing.TB, what string, p *page) {
	t.Helper()
	if p.Status != http.StatusForbidden || p.Header.Get("Location") != "" || !strings.Contains(p.Body, "<h1>Your account</h1>") {
		t.Fatalf("%s with an old sign-in: status %d at %s, want the account page with 403:\n%s", what, p.Status, p.URL, cut(p.Body))
	}
	contains(t, what, p.Body, `id="account-error"`, "you must have signed in within the last 10 minutes", "Sign in again")
}

// TestRecentSignInTOTP: an old session cannot start setting up an
// authenticator app, nor confirm a setup begun while it was recent; the
// page says why and offers "Sign in again", which makes a new sign-in
// (even with the session present) that can.
func TestRecentSignInTOTP(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	fresh := b.accountSignIn("alice", alicePass)
	signInAgain(t, fresh, 0)
	begin := formWith(t, fresh, "totp-begin")

	// Begun while recent, confirmed too late.
	setup := b.submit(begin, "action=totp-begin", nil)
	secret := secretOf(t, setup)
	e.clk.Advance(old)
	code, err := totp.Code(secret, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	refusedOld(t, "confirming the setup", b.submit(formWith(t, setup, "totp-confirm"), "action=totp-confirm", url.Values{"code": {code}}))
	if u, _ := e.store.GetUser(t.Context(), "u-alice"); len(u.TOTPSecret) != 0 {
		t.Fatal("TOTP was turned on from an old sign-in")
	}

	// The page offers no setup, but the way to sign in again.
	p := b.get(signin.AccountPath)
	if p.Status != http.StatusOK || strings.Contains(p.Body, `value="totp-begin"`) {
		t.Fatalf("account page of an old sign-in: status %d, want 200 without the setup's button:\n%s", p.Status, cut(p.Body))
	}
	contains(t, "the account page", p.Body, "Setting up an authenticator app needs a sign-in from the last 10 minutes")
	again := signInAgain(t, p, 1)
	// The page's earlier form is refused the same.
	refusedOld(t, "starting the setup", b.submit(begin, "action=totp-begin", nil))

	// Signing in again, with the session present, starts a new one.
	before := e.sessionOf(t, b)
	lp := b.get(again)
	if got := onlyForm(t, lp).Value("username"); got != "alice" {
		t.Errorf("the login page of signing in again has username %q, want alice's filled in", got)
	}
	p = b.login(lp, "alice", alicePass)
	if p.URL.Path != signin.AccountPath || p.Status != http.StatusOK {
		t.Fatalf("signing in again went to %s (status %d), want the account page", p.URL, p.Status)
	}
	after := e.sessionOf(t, b)
	if after.ID == before.ID || !after.AuthTime.Equal(e.clk.Now().Truncate(time.Millisecond)) {
		t.Errorf("session after signing in again %s auth_time %v; want a new one (not %s) with auth_time now %v", after.ID, after.AuthTime, before.ID, e.clk.Now())
	}
	if _, err := e.store.GetSession(t.Context(), before.ID, e.clk.Now()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the old session after signing in again: %v, want ended", err)
	}
	signInAgain(t, p, 0)
	// Now the setup goes through (enrol checks every step).
	_, codes := b.enrol(p)

	// Turning it off needs a code, not a recent sign-in.
	e.clk.Advance(old)
	p = b.get(signin.AccountPath)
	p = b.submit(formWith(t, p, "totp-disable"), "action=totp-disable", url.Values{"code": {codes[0]}})
	if p.URL.Path != signin.AccountPath || !strings.Contains(p.Body, "Two-step sign-in is off.") {
		t.Fatalf("turning off with an old sign-in: at %s:\n%s", p.URL, cut(p.Body))
	}
}

// TestRecentSignInAgainWithTOTP: "Sign in again" of a user with TOTP asks
// for the second step again, and only then makes the new session.
func TestRecentSignInAgainWithTOTP(t *testing.T) {
	t.Parallel()
	e, secret, _ := enrolledAlice(t, nil)
	b := e.browser()
	p := b.enterCode(b.accountSignIn("alice", alicePass), e.nextCode(t, secret))
	if p.URL.Path != signin.AccountPath {
		t.Fatalf("sign-in with the code: %v", p)
	}
	before := e.sessionOf(t, b)
	e.clk.Advance(time.Hour)
	p = b.login(b.get(signin.LoginPath+"?returnUrl=%2Faccount"), "alice", alicePass)
	if p.URL.Path != signin.MFAPath {
		t.Fatalf("signing in again with TOTP at %s (status %d), want the second step:\n%s", p.URL, p.Status, cut(p.Body))
	}
	// The password alone changed nothing: the session is the old one.
	if s := e.sessionOf(t, b); s.ID != before.ID {
		t.Fatalf("the password alone changed the session")
	}
	p = b.enterCode(p, e.nextCode(t, secret))
	after := e.sessionOf(t, b)
	if p.URL.Path != signin.AccountPath || after.ID == before.ID || !after.AuthTime.Equal(e.clk.Now().Truncate(time.Millisecond)) ||
		strings.Join(after.AMR, " ") != "pwd otp mfa" {
		t.Errorf("after the code at %s: session %+v; want the account page, a new session with auth_time %v and amr pwd otp mfa", p.URL, after, e.clk.Now())
	}
}

// TestRecentSignInPasskey: an old session cannot register a passkey (the
// JSON endpoints answer reauthentication_required with the message and
// the sign-in link), neither the options nor the finish of a ceremony
// begun while recent; renaming and removing still work; after signing in
// again (with a passkey: any sign-in counts) registering works.
func TestRecentSignInPasskey(t *testing.T) {
	t.Parallel()
	key := newSoftKey(t)
	key.uv = true
	p, b := registered(t, key)
	v := p.passkeysView(t, b, "u-alice")
	if v.Reauth.URL != "" {
		t.Fatalf("a fresh session's passkey view %+v: want no reauthentication", v.Reauth)
	}
	id := v.Items[0].ID

	// Options taken while recent, finished too late.
	var o creationOptions
	jsonOf(t, b.post(signin.PasskeyRegisterOptionsPath, url.Values{"token": {v.Token}, "name": {"late"}}, nil), http.StatusOK, &o)
	p.clk.Advance(old)
	reauth := func(what string, pg *page) {
		t.Helper()
		var e struct{ Error, Message, SignIn string }
		jsonOf(t, pg, http.StatusForbidden, &e)
		if e.Error != signin.ReauthRequired || !strings.Contains(e.Message, "signed in within the last 10 minutes") ||
			e.SignIn != signin.LoginPath+"?returnUrl=%2Faccount" {
			t.Errorf("%s with an old sign-in: %+v, want reauthentication_required, the message and the sign-in link", what, e)
		}
	}
	reauth("finish", b.post(signin.PasskeyRegisterFinishPath, url.Values{"token": {v.Token}, "credential": {newSoftKey(t).create(t, o, p.rpID, p.origin)}}, nil))
	reauth("options", b.post(signin.PasskeyRegisterOptionsPath, url.Values{"token": {v.Token}, "name": {"x"}}, nil))
	if ps, _ := p.store.(passkey.Store).ListPasskeys(t.Context(), "u-alice"); len(ps) != 1 {
		t.Fatalf("%d passkeys after the refusals, want the first one only", len(ps))
	}

	// The section lists and manages, and offers signing in again instead
	// of adding.
	acct := b.get(signin.AccountPath)
	contains(t, "the account page", acct.Body, "Adding a passkey needs a sign-in from the last 10 minutes", "Rename or remove")
	if strings.Contains(acct.Body, `id="passkey-register"`) {
		t.Error("the account page of an old sign-in has the form that adds a passkey")
	}
	again := signInAgain(t, acct, 2) // and the authenticator app's
	if v := p.passkeysView(t, b, "u-alice"); v.Reauth.URL != again {
		t.Errorf("passkey view Reauth %+v, want the page's link %s", v.Reauth, again)
	}
	if pg := b.post(signin.PasskeyRenamePath, url.Values{"token": {v.Token}, "passkey": {id}, "name": {"Laptop"}}, nil); pg.URL.Path != signin.AccountPath || pg.Status != http.StatusOK {
		t.Fatalf("rename with an old sign-in: %v", pg)
	}

	// Sign in again with the passkey, from the link.
	lp := b.get(again)
	f := onlyForm(t, lp)
	ret, token := f.Value("returnUrl"), f.Value("token")
	var ro requestOptions
	jsonOf(t, b.post(signin.PasskeyLoginOptionsPath, url.Values{"id": {""}, "returnUrl": {ret}, "token": {token}}, nil), http.StatusOK, &ro)
	key.counter++
	acct = b.post(signin.PasskeyLoginPath, url.Values{"id": {""}, "returnUrl": {ret}, "token": {token},
		"credential": {key.get(t, ro.PublicKey.Challenge, p.rpID, p.origin)}}, nil)
	if acct.URL.Path != signin.AccountPath || acct.Status != http.StatusOK {
		t.Fatalf("signing in again with the passkey: %v", acct)
	}
	signInAgain(t, acct, 0)
	contains(t, "the account page after signing in again", acct.Body, `id="passkey-register"`, "Laptop")
	var added struct{ Name string }
	jsonOf(t, p.register(t, b, newSoftKey(t), "Phone", p.rpID, p.origin), http.StatusOK, &added)

	// Removing needs no recent sign-in.
	p.clk.Advance(old)
	v = p.passkeysView(t, b, "u-alice")
	if pg := b.post(signin.PasskeyRemovePath, url.Values{"token": {v.Token}, "passkey": {id}}, nil); pg.URL.Path != signin.AccountPath || pg.Status != http.StatusOK {
		t.Fatalf("remove with an old sign-in: %v", pg)
	}
	if ps, _ := p.store.(passkey.Store).ListPasskeys(t.Context(), "u-alice"); len(ps) != 1 || ps[0].Name != "Phone" {
		t.Errorf("passkeys after the removal: %+v, want Phone only", ps)
	}
}

// TestRecentSignInLink: an old session cannot start linking a provider;
// it can unlink; signing in again (through a provider: any sign-in counts)
// lets it link.
func TestRecentSignInLink(t *testing.T) {
	t.Parallel()
	f := newFedEnv(t)
	b := f.browser()
	p := b.accountSignIn("alice", alicePass)
	providerForm := func(p *page, name string) form {
		t.Helper()
		for _, fm := range forms(p) {
			if in, ok := fm.Input("provider"); ok && in.Value == name {
				return fm
			}
		}
		t.Fatalf("no Link form for %s on the page at %s (status %d):\n%s", name, p.URL, p.Status, cut(p.Body))
		return form{}
	}
	closed, entra := providerForm(p, "closed"), providerForm(p, "entra")
	if p = b.viaUpstream(b.submit(closed, "action=link", nil)); p.URL.Path != signin.AccountPath || !strings.Contains(p.Body, "Unlink") {
		t.Fatalf("linking from a fresh session: %v", p)
	}

	f.clk.Advance(old)
	p = b.get(signin.AccountPath)
	contains(t, "the account page", p.Body, "Linking a provider needs a sign-in from the last 10 minutes", "Unlink")
	if strings.Contains(p.Body, `value="link"`) {
		t.Error("the account page of an old sign-in offers Link")
	}
	again := signInAgain(t, p, 2) // and the authenticator app's
	pg := b.submit(entra, "action=link", nil)
	refusedOld(t, "linking", pg)

	// Sign in again through the linked provider.
	p = b.viaUpstream(b.get(button(t, b.get(again), "Closed")))
	if p.URL.Path != signin.AccountPath || !strings.Contains(p.Body, "Signed in as <strong>alice</strong>") {
		t.Fatalf("signing in again through closed: %v", p)
	}
	signInAgain(t, p, 0)
	if s := f.sessionOf(t, b); s.IdP != "closed" || !s.AuthTime.Equal(f.clk.Now().Truncate(time.Millisecond)) {
		t.Errorf("session after signing in through closed: %+v, want idp closed, auth_time now", s)
	}
	p = b.viaUpstream(b.submit(providerForm(p, "entra"), "action=link", nil))
	if p.URL.Path != signin.AccountPath || strings.Count(p.Body, `value="unlink"`) != 2 {
		t.Fatalf("linking after signing in again: want two links; got %v", p)
	}

	// Unlinking needs no recent sign-in.
	f.clk.Advance(old)
	p = b.get(signin.AccountPath)
	signInAgain(t, p, 2)
	p = b.submit(formWith(t, p, "unlink"), "action=unlink", nil)
	if p.URL.Path != signin.AccountPath || strings.Count(p.Body, `value="unlink"`) != 1 {
		t.Fatalf("unlink with an old sign-in: want one link left; got %v", p)
	}
}
