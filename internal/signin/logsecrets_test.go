package signin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/signin"
)

// Nothing secret reaches the log, at debug level, through a whole flow
// with its failures: passwords (wrong ones too, and one typed into the
// username field), the code, the session and form cookies, the form
// tokens, the login proof, the PKCE verifier and the id_token_hints.
func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	var secrets []string
	a := newAuthReq("web", "openid profile api", "login_hint", "alice")
	p := b.authorize(a)
	secrets = append(secrets, a.verifier)
	// A password typed as the username, then a wrong password.
	b.login(p, "hunter2-typed-as-username", "some-password-1")
	p = b.login(b.authorize(a), "alice", "wrong-password-2")
	secrets = append(secrets, "hunter2-typed-as-username", "some-password-1", "wrong-password-2", alicePass)
	secrets = append(secrets, input(t, onlyForm(t, p), "token").Value)
	follow := b.Client.CheckRedirect
	b.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p = b.login(p, "alice", alicePass)
	callback := location(t, p)
	secrets = append(secrets, callback.Query().Get("login"))
	b.Client.CheckRedirect = follow
	p = b.get(callback.RequestURI())
	f := onlyForm(t, p)
	secrets = append(secrets, input(t, f, "token").Value)
	q := clientResponse(t, b.submit(f, "decision=allow", nil))
	secrets = append(secrets, q.Get("code"))
	e.redeem(t, "web", q.Get("code"), a)
	u, _ := url.Parse(e.srv.URL)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == session.CookieName || c.Name == session.FormCookieName {
			secrets = append(secrets, c.Value)
		}
	}
	// A refused hint, then a good one.
	bad, good := hintOf("u-bob", "quiet"), hintOf("u-alice", "web")
	b.authorize(newAuthReq("web", "openid", "id_token_hint", bad))
	b.get(signin.EndSessionPath + "?" + url.Values{"id_token_hint": {good}}.Encode())
	secrets = append(secrets, bad, good)

	log := e.log.String()
	if !strings.Contains(log, "signed in") {
		t.Fatalf("the log does not show the flow:\n%s", log)
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret of the flow was not found")
		}
		if strings.Contains(log, s) {
			t.Errorf("the log has the secret %q:\n%s", s, log)
		}
	}
}

// Nor the second factor's: the TOTP key, its setup form's sealed key,
// codes (right, wrong and replayed), recovery codes and the step cookie.
func TestNoTOTPSecretsInLogs(t *testing.T) {
	t.Parallel()
	e := memoryEnv(t, nil)
	b := e.browser()
	p := b.accountSignIn("alice", alicePass)
	setup := b.submit(formWith(t, p, "totp-begin"), "action=totp-begin", nil)
	secret := secretOf(t, setup)
	pending := input(t, formWith(t, setup, "totp-confirm"), "pending").Value
	first := e.nextCode(t, secret)
	p = b.submit(formWith(t, setup, "totp-confirm"), "action=totp-confirm", url.Values{"code": {first}})
	codes := recoveryCodesOf(t, p)
	secrets := append([]string{secret, pending, first}, codes...)

	b = e.browser()
	p = b.authorize(newAuthReq("quiet", "openid"))
	follow := b.Client.CheckRedirect
	b.Client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b.login(p, "alice", alicePass)
	b.Client.CheckRedirect = follow
	u, _ := url.Parse(e.srv.URL)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == session.StepCookieName {
			secrets = append(secrets, c.Value)
		}
	}
	if len(secrets) != 4+len(codes) {
		t.Fatal("no step cookie after the password")
	}
	p = b.get(signin.MFAPath)
	wrong := wrongCode(t, secret, e.clk.Now())
	p = b.enterCode(p, wrong)
	p = b.enterCode(p, first) // used already
	p = b.enterCode(p, codes[0])
	clientResponse(t, p)
	secrets = append(secrets, wrong)

	log := e.log.String()
	if !strings.Contains(log, "second factor") {
		t.Fatalf("the log does not show the second step:\n%s", log)
	}
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log has the secret %q:\n%s", s, log)
		}
	}
}
