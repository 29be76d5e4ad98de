package signin_test

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/consent"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/testsupport/browsertest"
	"github.com/signetid/signet/internal/totp"
	"github.com/signetid/signet/storage"
)

// formWith is the form of p with a button action=value (the account page
// has several forms); the test fails when there is none.
func formWith(t testing.TB, p *page, action string) form {
	t.Helper()
	for _, f := range forms(p) {
		for _, b := range f.Buttons {
			if b.Name == "action" && b.Value == action {
				return f
			}
		}
	}
	t.Fatalf("no form with the button action=%s on the page at %s (status %d):\n%s", action, p.URL, p.Status, cut(p.Body))
	return form{}
}

func forms(p *page) []form { return browsertest.Forms(p.Body) }

// accountSignIn signs username in to the account page, as a browser does
// from /account, and returns the page.
func (b *browser) accountSignIn(username, password string) *page {
	b.t.Helper()
	p := b.get(signin.AccountPath)
	if p.URL.Path != signin.LoginPath || p.URL.Query().Get("returnUrl") != signin.AccountPath {
		b.t.Fatalf("/account without a session went to %s (status %d), want the login page with returnUrl=/account", p.URL, p.Status)
	}
	p = b.login(p, username, password)
	return p
}

var uriRE = regexp.MustCompile(`otpauth://totp/[^<"]+`)

// enrol sets up TOTP for the user signed in to the account page p, and
// returns the key and the recovery codes.
func (b *browser) enrol(p *page) (secret string, codes []string) {
	b.t.Helper()
	t := b.t
	p = b.submit(formWith(t, p, "totp-begin"), "action=totp-begin", nil)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "<svg") {
		t.Fatalf("setup page: status %d, want 200 with an inline QR code:\n%s", p.Status, cut(p.Body))
	}
	secret = secretOf(t, p)
	f := formWith(t, p, "totp-confirm")
	// A wrong code first: the same key is offered again, with the error.
	p = b.submit(f, "action=totp-confirm", url.Values{"code": {wrongCode(t, secret, b.e.clk.Now())}})
	if !strings.Contains(p.Body, "That code is not right") || secretOf(t, p) != secret {
		t.Fatalf("a wrong confirmation code: want the same key with an error, got:\n%s", cut(p.Body))
	}
	code, err := totp.Code(secret, b.e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = b.submit(formWith(t, p, "totp-confirm"), "action=totp-confirm", url.Values{"code": {code}})
	codes = recoveryCodesOf(t, p)
	return secret, codes
}

func secretOf(t testing.TB, p *page) string {
	t.Helper()
	m := uriRE.FindString(p.Body)
	u, err := url.Parse(html.UnescapeString(m))
	if m == "" || err != nil || u.Query().Get("secret") == "" {
		t.Fatalf("no otpauth:// URI with a secret on the page:\n%s", cut(p.Body))
	}
	return u.Query().Get("secret")
}

var codeRE = regexp.MustCompile(`<li><code>([0-9a-z]{5}-[0-9a-z]{5})</code></li>`)

func recoveryCodesOf(t testing.TB, p *page) []string {
	t.Helper()
	var codes []string
	for _, m := range codeRE.FindAllStringSubmatch(p.Body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != totp.RecoveryCodeCount {
		t.Fatalf("%d recovery codes on the page (status %d), want %d:\n%s", len(codes), p.Status, totp.RecoveryCodeCount, cut(p.Body))
	}
	return codes
}

// wrongCode is a six-digit code that is none of secret's around now.
func wrongCode(t testing.TB, secret string, now time.Time) string {
	t.Helper()
	var near []string
	for d := -2; d <= 2; d++ {
		c, err := totp.Code(secret, now.Add(time.Duration(d)*totp.Period))
		if err != nil {
			t.Fatal(err)
		}
		near = append(near, c)
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !slices.Contains(near, c) {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// codeNow is secret's code at the clock's time, after moving the clock to
// the next time step (each code is accepted once).
func (e *env) nextCode(t testing.TB, secret string) string {
	t.Helper()
	e.clk.Advance(totp.Period)
	c, err := totp.Code(secret, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stepPage submits the password for a, and returns the page it leads to
// (the second step for a user with TOTP).
func (b *browser) passwordFor(a *authReq, username, password string) *page {
	b.t.Helper()
	return b.login(b.authorize(a), username, password)
}

// enterCode submits code on the second step's page p.
func (b *browser) enterCode(p *page, code string) *page {
	b.t.Helper()
	if p.URL.Path != signin.MFAPath {
		b.t.Fatalf("at %s (status %d), want the second step:\n%s", p.URL, p.Status, cut(p.Body))
	}
	return b.submit(formWith(b.t, p, "verify"), "action=verify", url.Values{"code": {code}})
}

// enrolledAlice is an environment where alice has TOTP on, and its key
// and recovery codes.
func enrolledAlice(t *testing.T, mutate func(*signin.Options)) (*env, string, []string) {
	e := memoryEnv(t, mutate)
	b := e.browser()
	p := b.accountSignIn("alice", alicePass)
	secret, codes := b.enrol(p)
	return e, secret, codes
}

func TestTOTPEnrolment(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	p := b.accountSignIn("alice", alicePass)
	if p.URL.Path != signin.AccountPath || p.Status != http.StatusOK {
		t.Fatalf("after the login at %s (status %d), want the account page", p.URL, p.Status)
	}
	checkPageHeaders(t, p)
	for _, want := range []string{"Alice", "alice", "Two-step sign-in", "Off", "Set up an authenticator app"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	secret, codes := b.enrol(p)
	u, err := e.store.GetUser(t.Context(), "u-alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(u.TOTPSecret) == 0 || strings.Contains(string(u.TOTPSecret), secret) {
		t.Errorf("stored TOTP key %q: want it sealed, not the secret", u.TOTPSecret)
	}
	if len(u.RecoveryCodes) != 10 || slices.Contains(u.RecoveryCodes, codes[0]) {
		t.Errorf("stored recovery codes %v: want 10 hashes", u.RecoveryCodes)
	}
	if u.TOTPLastStep != totp.Step(e.clk.Now()) {
		t.Errorf("last step %d, want the confirmation's %d (its code is used)", u.TOTPLastStep, totp.Step(e.clk.Now()))
	}
	p = b.get(signin.AccountPath)
	if !strings.Contains(p.Body, "10 recovery codes left") || !strings.Contains(p.Body, ">On<") {
		t.Errorf("account page after setup does not say On with 10 codes:\n%s", cut(p.Body))
	}

	// New recovery codes need a current code; the old ones stop working.
	f := formWith(t, p, "recovery-regenerate")
	p = b.submit(f, "action=recovery-regenerate", url.Values{"code": {"12345"}})
	if !strings.Contains(p.Body, "Enter the 6-digit code") {
		t.Errorf("a malformed code: want the error on the account page:\n%s", cut(p.Body))
	}
	p = b.submit(f, "action=recovery-regenerate", url.Values{"code": {e.nextCode(t, secret)}})
	fresh := recoveryCodesOf(t, p)
	if slices.Contains(fresh, codes[0]) {
		t.Error("new recovery codes repeat an old one")
	}

	// Turning it off takes a recovery code (or a code).
	p = b.get(signin.AccountPath)
	p = b.submit(formWith(t, p, "totp-disable"), "action=totp-disable", url.Values{"code": {codes[1]}})
	if !strings.Contains(p.Body, "That code is not right") {
		t.Errorf("an old recovery code turned it off:\n%s", cut(p.Body))
	}
	p = b.submit(formWith(t, p, "totp-disable"), "action=totp-disable", url.Values{"code": {fresh[3]}})
	if p.URL.Path != signin.AccountPath || !strings.Contains(p.Body, "Two-step sign-in is off.") {
		t.Fatalf("turn off: at %s:\n%s", p.URL, cut(p.Body))
	}
	if u, _ := e.store.GetUser(t.Context(), "u-alice"); len(u.TOTPSecret) != 0 || len(u.RecoveryCodes) != 0 {
		t.Errorf("after turning off: key %d bytes, %d recovery codes; want none", len(u.TOTPSecret), len(u.RecoveryCodes))
	}
}

func TestTOTPSecondStep(t *testing.T) {
	t.Parallel()
	e, secret, codes := enrolledAlice(t, nil)

	// The password alone makes no session.
	b := e.browser()
	a := newAuthReq("quiet", "openid")
	p := b.passwordFor(a, "alice", alicePass)
	if p.URL.Path != signin.MFAPath || p.Status != http.StatusOK {
		t.Fatalf("after the password at %s (status %d), want the second step", p.URL, p.Status)
	}
	checkPageHeaders(t, p)
	if in := input(t, formWith(t, p, "verify"), "code"); in.Autocomplete != "one-time-code" {
		t.Errorf("code field autocomplete %q, want one-time-code", in.Autocomplete)
	}
	if got := b.get(signin.AccountPath); got.URL.Path != signin.LoginPath {
		t.Fatalf("with only the password, /account went to %s: a session exists", got.URL)
	}
	p = b.get(signin.MFAPath)
	p = b.enterCode(p, wrongCode(t, secret, e.clk.Now()))
	if !strings.Contains(p.Body, "That code is not right") {
		t.Fatalf("wrong code: want the error:\n%s", cut(p.Body))
	}
	code := e.nextCode(t, secret)
	p = b.enterCode(p, code[:3]+" "+code[3:])
	q := clientResponse(t, p)
	got := e.redeem(t, "quiet", q.Get("code"), a)
	if !slices.Equal(got.AMR, []string{"pwd", "otp", "mfa"}) || got.ACR != "mfa" {
		t.Errorf("amr %v acr %q, want [pwd otp mfa] and mfa", got.AMR, got.ACR)
	}
	if !got.AuthTime.Equal(e.clk.Now().Truncate(time.Second)) {
		t.Errorf("auth_time %v, want the second step's %v", got.AuthTime, e.clk.Now())
	}
	// The step is used once: the page is gone.
	if p := b.get(signin.MFAPath); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, "expired") {
		t.Errorf("the second step again: status %d, want 400 expired", p.Status)
	}

	// The same code in another browser is refused (accepted once).
	b2 := e.browser()
	p = b2.passwordFor(newAuthReq("quiet", "openid"), "alice", alicePass)
	p = b2.enterCode(p, code)
	if !strings.Contains(p.Body, "used already") {
		t.Errorf("a replayed code: want 'used already':\n%s", cut(p.Body))
	}
	// A recovery code works once, in any case and with spaces.
	p = b2.enterCode(p, strings.ToUpper(strings.Replace(codes[0], "-", " ", 1)))
	if q := clientResponse(t, p); q.Get("code") == "" {
		t.Fatalf("recovery code: no code: %v", q)
	}
	b3 := e.browser()
	p = b3.passwordFor(newAuthReq("quiet", "openid"), "alice", alicePass)
	p = b3.enterCode(p, codes[0])
	if !strings.Contains(p.Body, "That code is not right") {
		t.Errorf("a used recovery code: want refused:\n%s", cut(p.Body))
	}
	if u, _ := e.store.GetUser(t.Context(), "u-alice"); len(u.RecoveryCodes) != 9 {
		t.Errorf("%d recovery codes left, want 9", len(u.RecoveryCodes))
	}
	// Cancel answers the client access_denied.
	p = b3.submit(formWith(t, p, "cancel"), "action=cancel", nil)
	if q := clientResponse(t, p); q.Get("error") != "access_denied" {
		t.Errorf("cancel: %v, want access_denied", q)
	}
}

// TestTOTPLockout: wrong codes count toward the user's lockout, and a
// right password in between does not reset the count.
func TestTOTPLockout(t *testing.T) {
	t.Parallel()
	e, secret, _ := enrolledAlice(t, nil)
	b := e.browser()
	wrong := wrongCode(t, secret, e.clk.Now())
	p := b.passwordFor(newAuthReq("quiet", "openid"), "alice", alicePass)
	for range 3 {
		p = b.enterCode(p, wrong)
	}
	p = b.passwordFor(newAuthReq("quiet", "openid"), "alice", alicePass)
	p = b.enterCode(p, wrong)
	p = b.enterCode(p, wrong)
	if !strings.Contains(p.Body, "Too many failed sign-ins for this account") {
		t.Fatalf("after 5 wrong codes: want locked out:\n%s", cut(p.Body))
	}
	// Locked: the right code is refused too.
	p = b.enterCode(p, e.nextCode(t, secret))
	if !strings.Contains(p.Body, "Too many failed sign-ins") {
		t.Errorf("the right code during the lockout was not refused:\n%s", cut(p.Body))
	}
	u, _ := e.store.GetUser(t.Context(), "u-alice")
	if !u.LockedUntil.After(e.clk.Now()) {
		t.Errorf("locked until %v, want a lockout", u.LockedUntil)
	}
}

// TestTOTPThrottle: wrong codes count toward the per-address throttle.
func TestTOTPThrottle(t *testing.T) {
	t.Parallel()
	e, secret, _ := enrolledAlice(t, func(o *signin.Options) { o.Throttle.MaxFailures = 2 })
	b := e.browser()
	p := b.passwordFor(newAuthReq("quiet", "openid"), "alice", alicePass)
	wrong := wrongCode(t, secret, e.clk.Now())
	p = b.enterCode(p, wrong)
	p = b.enterCode(p, wrong)
	p = b.enterCode(p, e.nextCode(t, secret))
	if p.Status != http.StatusTooManyRequests || !strings.Contains(p.Body, "from your network") {
		t.Errorf("status %d, want 429 from the address throttle:\n%s", p.Status, cut(p.Body))
	}
}

func strictClients() client.Static {
	cs := testClients()
	strict := *cs["quiet"]
	strict.ID, strict.Name, strict.RequireMFA = "strict", "Strict App", true
	cs["strict"] = &strict
	return cs
}

// TestRequireMFAEnrol: a client with requireMfa asks a user without a
// second factor to set one up within the sign-in, then goes on.
func TestRequireMFAEnrol(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, func(o *signin.Options) { o.Validator.Clients = strictClients() })
	b := e.browser()
	a := newAuthReq("strict", "openid")
	p := b.passwordFor(a, "bob", "bob's password")
	if p.URL.Path != signin.MFAPath || !strings.Contains(p.Body, "requires a second step") {
		t.Fatalf("at %s, want the setup within the sign-in:\n%s", p.URL, cut(p.Body))
	}
	secret := secretOf(t, p)
	code, _ := totp.Code(secret, e.clk.Now())
	p = b.submit(formWith(t, p, "totp-confirm"), "action=totp-confirm", url.Values{"code": {code}})
	recoveryCodesOf(t, p)
	p = b.submit(formWith(t, p, "continue"), "action=continue", nil)
	q := clientResponse(t, p)
	got := e.redeem(t, "strict", q.Get("code"), a)
	if !slices.Equal(got.AMR, []string{"pwd", "otp", "mfa"}) || got.ACR != "mfa" {
		t.Errorf("amr %v acr %q, want [pwd otp mfa], mfa", got.AMR, got.ACR)
	}
	// A session of one factor (quiet) must step up for strict.
	b2 := e.browser()
	b2.signIn() // alice, no TOTP, at quiet
	p = b2.authorize(newAuthReq("strict", "openid", "prompt", "none"))
	if q := clientResponse(t, p); q.Get("error") != "login_required" {
		t.Errorf("prompt=none at a requireMfa client with a one-factor session: %v, want login_required", q)
	}
	p = b2.authorize(newAuthReq("strict", "openid"))
	if p.URL.Path != signin.LoginPath {
		t.Errorf("a one-factor session at a requireMfa client went to %s, want the login page", p.URL)
	}
}

// TestACRStepUp: acr_values=mfa (or the PAPE URI) makes a one-factor
// session sign in again with the second factor; acr says what happened.
func TestACRStepUp(t *testing.T) {
	t.Parallel()
	e, secret, _ := enrolledAlice(t, nil)
	b := e.browser()
	// A one-factor login of bob: acr sfa.
	a := newAuthReq("quiet", "openid")
	p := b.passwordFor(a, "bob", "bob's password")
	got := e.redeem(t, "quiet", clientResponse(t, p).Get("code"), a)
	if got.ACR != "sfa" || !slices.Equal(got.AMR, []string{"pwd"}) {
		t.Errorf("bob: acr %q amr %v, want sfa [pwd]", got.ACR, got.AMR)
	}

	// Alice with TOTP: acr_values with the PAPE alias.
	for _, acr := range []string{"mfa", signin.ACRPAPEMFA} {
		b := e.browser()
		b.signInWithCode(e, secret)
		a := newAuthReq("quiet", "openid", "acr_values", "urn:other "+acr)
		p := b.authorize(a)
		got := e.redeem(t, "quiet", clientResponse(t, p).Get("code"), a)
		if got.ACR != acr {
			t.Errorf("acr_values %q with a two-factor session: acr %q, want %q", acr, got.ACR, acr)
		}
	}

	// A one-factor session (bob's) asked for mfa: the login page again.
	p = b.authorize(newAuthReq("quiet", "openid", "acr_values", "mfa"))
	if p.URL.Path != signin.LoginPath {
		t.Fatalf("acr_values=mfa with a one-factor session went to %s, want the login page", p.URL)
	}
	// bob has no second factor: the step up sets one up.
	p = b.login(p, "bob", "bob's password")
	if p.URL.Path != signin.MFAPath || !strings.Contains(p.Body, "Set up") {
		t.Fatalf("step up of a user without a second factor at %s, want the setup:\n%s", p.URL, cut(p.Body))
	}
}

// signInWithCode signs alice in (password and code) to the quiet client.
func (b *browser) signInWithCode(e *env, secret string) {
	b.t.Helper()
	p := b.passwordFor(newAuthReq("quiet", "openid"), "alice", alicePass)
	p = b.enterCode(p, e.nextCode(b.t, secret))
	if q := clientResponse(b.t, p); q.Get("code") == "" {
		b.t.Fatalf("no code: %v", q)
	}
}

func TestAccountLocalLoginWithTOTP(t *testing.T) {
	t.Parallel()
	e, secret, _ := enrolledAlice(t, nil)
	b := e.browser()
	p := b.accountSignIn("alice", alicePass)
	p = b.enterCode(p, e.nextCode(t, secret))
	if p.URL.Path != signin.AccountPath || !strings.Contains(p.Body, "with password and authenticator code") {
		t.Errorf("after the second step at %s, want the account page showing a two-factor session:\n%s", p.URL, cut(p.Body))
	}
}

func TestAccountReturnURL(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	for _, bad := range []string{"https://evil.example/account", "//evil.example/account", "/account/../connect/authorize",
		"/other", "/account/login", "/account/logout", `/account\evil`, "/account#x", "/%2Faccount", "javascript:alert(1)", "",
		"/account/%2e%2e/connect/authorize", "/account/..%2Fconnect", `/\evil.example`, "/account/./passkeys", "/account//evil.example",
		"/account/login/mfa", "/account/loggedout", "/account\r\nX: y", "/ACCOUNT", "https:/account"} {
		p := b.get(signin.LoginPath + "?" + url.Values{"returnUrl": {bad}}.Encode())
		if p.Status != http.StatusBadRequest {
			t.Errorf("returnUrl %q: status %d, want 400", bad, p.Status)
		}
	}
	p := b.get(signin.LoginPath + "?returnUrl=%2Faccount")
	f := onlyForm(t, p)
	// A changed returnUrl in the posted form is refused too.
	p = b.submit(f, "decision=login", url.Values{"username": {"alice"}, "password": {alicePass}, "returnUrl": {"https://evil.example/"}})
	if p.Status != http.StatusBadRequest {
		t.Errorf("posted external returnUrl: status %d, want 400", p.Status)
	}
	p = b.submit(f, "decision=login", url.Values{"username": {"alice"}, "password": {alicePass}})
	if p.URL.Path != signin.AccountPath || p.Status != http.StatusOK {
		t.Errorf("local login went to %s (status %d), want /account", p.URL, p.Status)
	}
}

func TestAccountSessionsAndConsents(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	ctx := t.Context()
	// Two browsers of alice; the first consents to web and remembers it.
	b1, b2 := e.browser(), e.browser()
	a := newAuthReq("web", "openid profile")
	p := b1.passwordFor(a, "alice", alicePass)
	p = b1.submit(onlyForm(t, p), "decision=allow", nil)
	clientResponse(t, p)
	b2.signIn()
	// A refresh token of web for alice, and one of quiet.
	now := e.clk.Now()
	for _, g := range []storage.PersistedGrant{
		{Key: "rt-web", Type: storage.GrantRefreshToken, Subject: "u-alice", ClientID: "web", Created: now, Expires: now.Add(time.Hour), Data: []byte("{}")},
		{Key: "rt-quiet", Type: storage.GrantRefreshToken, Subject: "u-alice", ClientID: "quiet", Created: now, Expires: now.Add(time.Hour), Data: []byte("{}")},
	} {
		if err := e.store.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	p = b1.get(signin.AccountPath)
	for _, want := range []string{"Web App", "User profile", "This browser", "Another browser", "Quiet App", "Sign out of all other sessions"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	// The forms need the page's token.
	if got := b1.post(signin.AccountPath, url.Values{"action": {"end-other-sessions"}}, nil); got.Status != http.StatusForbidden {
		t.Errorf("a form without its token: status %d, want 403", got.Status)
	}
	p = b1.submit(formWith(t, p, "revoke-consent"), "action=revoke-consent", nil)
	if !strings.Contains(p.Body, "no longer has access") {
		t.Errorf("revoke: no notice:\n%s", cut(p.Body))
	}
	if _, ok, _ := consent.New(e.store, e.clk.Now).Get(ctx, "u-alice", "web"); ok {
		t.Error("the consent is still remembered")
	}
	if _, err := e.store.GetGrant(ctx, "rt-web", e.clk.Now()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("web's refresh token after the revocation: %v, want not found", err)
	}
	if _, err := e.store.GetGrant(ctx, "rt-quiet", e.clk.Now()); err != nil {
		t.Errorf("quiet's refresh token: %v, want kept", err)
	}
	// A session id of another user is not ended.
	if err := e.store.CreateSession(ctx, storage.Session{ID: "bobs", Subject: "u-bob", AuthTime: now, AMR: []string{"pwd"}, Created: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	f := formWith(t, p, "end-session")
	p = b1.submit(f, "action=end-session", url.Values{"session": {"bobs"}})
	if !strings.Contains(p.Body, "ended already") {
		t.Errorf("ending another user's session: want refused:\n%s", cut(p.Body))
	}
	if _, err := e.store.GetSession(ctx, "bobs", e.clk.Now()); err != nil {
		t.Errorf("bob's session: %v, want kept", err)
	}
	p = b1.submit(formWith(t, p, "end-other-sessions"), "action=end-other-sessions", nil)
	if strings.Contains(p.Body, "Another browser") {
		t.Errorf("other sessions still listed:\n%s", cut(p.Body))
	}
	if got := b2.get(signin.AccountPath); got.URL.Path != signin.LoginPath {
		t.Errorf("the other browser at %s, want signed out", got.URL)
	}
	// Signing out of this one.
	p = b1.submit(formWith(t, p, "end-session"), "action=end-session", nil)
	if p.URL.Path != signin.LoggedOutPath {
		t.Errorf("ending the current session went to %s, want %s", p.URL, signin.LoggedOutPath)
	}
}

func TestAccountWithoutKEK(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, func(o *signin.Options) {
		o.SecretsKEK = func() ([]byte, error) { return nil, errors.New("no key-encryption key") }
	})
	p := e.browser().accountSignIn("alice", alicePass)
	if !strings.Contains(p.Body, "Not available on this server") || !strings.Contains(p.Body, "keyEncryptionKey") ||
		strings.Contains(p.Body, "totp-begin") {
		t.Errorf("without a KEK the page must say so and offer no setup:\n%s", cut(p.Body))
	}
}

// TestTOTPMaxAge: max_age=0 asks for a new login, which the second step
// completes (auth_time is when it did), without asking again.
func TestTOTPMaxAge(t *testing.T) {
	t.Parallel()
	e, secret, _ := enrolledAlice(t, nil)
	b := e.browser()
	b.signInWithCode(e, secret)
	e.clk.Advance(time.Hour)
	a := newAuthReq("quiet", "openid", "max_age", "0")
	p := b.authorize(a)
	p = b.login(p, "alice", alicePass)
	e.clk.Advance(20 * time.Second)
	p = b.enterCode(p, e.nextCode(t, secret))
	got := e.redeem(t, "quiet", clientResponse(t, p).Get("code"), a)
	if !got.AuthTime.Equal(e.clk.Now().Truncate(time.Second)) || !slices.Equal(got.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Errorf("auth_time %v amr %v, want the second step's time %v and [pwd otp mfa]", got.AuthTime, got.AMR, e.clk.Now())
	}
}

// TestTOTPWithoutKEK: a TOTP code cannot be checked without the
// key-encryption key (the page says so, 503), a recovery code can.
func TestTOTPWithoutKEK(t *testing.T) {
	t.Parallel()
	var gone atomic.Bool
	e, secret, codes := enrolledAlice(t, func(o *signin.Options) {
		o.SecretsKEK = func() ([]byte, error) {
			if gone.Load() {
				return nil, errors.New("no key-encryption key")
			}
			return testKEK, nil
		}
	})
	gone.Store(true)
	b := e.browser()
	p := b.passwordFor(newAuthReq("quiet", "openid"), "alice", alicePass)
	p = b.enterCode(p, e.nextCode(t, secret))
	if p.Status != http.StatusServiceUnavailable || !strings.Contains(p.Body, "keyEncryptionKey") {
		t.Errorf("a code without the KEK: status %d, want 503 naming keyEncryptionKey:\n%s", p.Status, cut(p.Body))
	}
	p = b.enterCode(p, codes[2])
	if q := clientResponse(t, p); q.Get("code") == "" {
		t.Errorf("a recovery code without the KEK: %v", q)
	}
}

// TestRequireMFAEnrolDisabledMeanwhile: a user disabled while setting up
// the app within a sign-in (after the password) gets no session, as one
// disabled before the code of the second step does.
func TestRequireMFAEnrolDisabledMeanwhile(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, func(o *signin.Options) { o.Validator.Clients = strictClients() })
	b := e.browser()
	p := b.passwordFor(newAuthReq("strict", "openid"), "bob", "bob's password")
	secret := secretOf(t, p)
	disable := func() {
		if err := e.store.UpdateUser(t.Context(), "u-bob", func(u *storage.User) error { u.Disabled = !u.Disabled; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	disable()
	code, _ := totp.Code(secret, e.clk.Now())
	p = b.submit(formWith(t, p, "totp-confirm"), "action=totp-confirm", url.Values{"code": {code}})
	if p.Status == http.StatusOK && strings.Contains(p.Body, "Save your recovery codes") {
		t.Fatalf("a disabled user set up an app within the sign-in:\n%s", cut(p.Body))
	}
	if u, _ := e.store.GetUser(t.Context(), "u-bob"); len(u.TOTPSecret) != 0 {
		t.Error("a disabled user's TOTP key was stored")
	}

	// Disabled after the setup, before continuing: no session either.
	b = e.browser()
	disable()
	p = b.passwordFor(newAuthReq("strict", "openid"), "bob", "bob's password")
	secret = secretOf(t, p)
	code, _ = totp.Code(secret, e.clk.Now())
	p = b.submit(formWith(t, p, "totp-confirm"), "action=totp-confirm", url.Values{"code": {code}})
	recoveryCodesOf(t, p)
	disable()
	p = b.submit(formWith(t, p, "continue"), "action=continue", nil)
	if p.Status == http.StatusFound || p.Status == http.StatusSeeOther {
		t.Fatalf("a disabled user continued the sign-in to %s", location(t, p))
	}
	if got := b.get(signin.AccountPath); got.URL.Path != signin.LoginPath {
		t.Errorf("a disabled user has a session: /account at %s", got.URL)
	}
}
