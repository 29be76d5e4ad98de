package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/signetid/signet/internal/session"
)

func TestSessionToken(t *testing.T) {
	t.Parallel()
	m, _ := memoryManager(t, session.Options{})
	alice, mallory := newBrowser(), newBrowser()
	signIn(t, m, alice, "alice")
	signIn(t, m, mallory, "mallory")

	// The token of the page, checked when the form comes back on the
	// next request (another Session value, maybe another instance).
	page := current(t, m, alice)
	token := page.Token("consent")
	if len(token) != 43 {
		t.Fatalf("token %q, want 43 characters of base64url", token)
	}
	post := current(t, m, alice)
	if !post.CheckToken("consent", token) {
		t.Fatal("the session's own token fails")
	}
	if page.Token("consent") != token {
		t.Error("the token changes within one session")
	}
	malloryToken := current(t, m, mallory).Token("consent")
	for name, tc := range map[string]struct{ purpose, token string }{
		"another session's": {"consent", malloryToken},
		"another purpose's": {"logout", token},
		"missing":           {"consent", ""},
		"truncated":         {"consent", token[:42]},
		"extended":          {"consent", token + "A"},
		"empty purpose":     {"", current(t, m, alice).Token("")},
	} {
		if post.CheckToken(tc.purpose, tc.token) {
			t.Errorf("%s token passes", name)
		}
	}
	var none *session.Session
	if none.CheckToken("consent", token) {
		t.Error("a token passes without a session")
	}

	// A new sign-in makes a new token: the old one is worth nothing.
	signIn(t, m, alice, "alice")
	if current(t, m, alice).CheckToken("consent", token) {
		t.Error("the token of the previous session passes after a new sign-in")
	}
}

func TestFormToken(t *testing.T) {
	t.Parallel()
	m, _ := memoryManager(t, session.Options{Issuer: issuer("http://localhost:5000"), SameSite: http.SameSiteLaxMode})
	alice, mallory := newBrowser(), newBrowser()

	// The login page, shown to a browser without cookies.
	rec := httptest.NewRecorder()
	token, err := m.FormToken(t.Context(), rec, alice.request(), "login")
	if err != nil {
		t.Fatalf("FormToken: %v", err)
	}
	c := onlyCookie(t, rec, session.FormCookieName)
	if c.MaxAge != int(session.DefaultFormLifetime.Seconds()) || !c.HttpOnly || c.Secure || c.Path != "/" || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("pre-session cookie %+v, want Max-Age=%v HttpOnly Path=/ SameSite=Lax, not Secure over http", c, session.DefaultFormLifetime)
	}
	if c.Value == token {
		t.Error("the token is the cookie's value")
	}
	alice.keep(t, rec)
	if !m.CheckFormToken(alice.request(), "login", token) {
		t.Fatal("the browser's own form token fails")
	}

	// Shown again: the same cookie, sent again for its lifetime; the same
	// token, so that two tabs work.
	rec = httptest.NewRecorder()
	again, err := m.FormToken(t.Context(), rec, alice.request(), "login")
	if err != nil {
		t.Fatal(err)
	}
	if again != token || onlyCookie(t, rec, session.FormCookieName).Value != c.Value {
		t.Error("showing the form again changed the cookie or the token")
	}

	// Another browser's token, a missing one, another purpose, or no
	// cookie, fail.
	rec = httptest.NewRecorder()
	malloryToken, err := m.FormToken(t.Context(), rec, mallory.request(), "login")
	if err != nil {
		t.Fatal(err)
	}
	mallory.keep(t, rec)
	for name, tc := range map[string]struct {
		r              *http.Request
		purpose, token string
	}{
		"another browser's": {alice.request(), "login", malloryToken},
		"missing":           {alice.request(), "login", ""},
		"another purpose":   {alice.request(), "consent", token},
		"no cookie":         {newBrowser().request(), "login", token},
	} {
		if m.CheckFormToken(tc.r, tc.purpose, tc.token) {
			t.Errorf("%s token passes", name)
		}
	}

	// The session's tokens and the pre-session's are not interchangeable.
	s := signIn(t, m, alice, "alice")
	if s.CheckToken("login", token) {
		t.Error("the pre-session token passes as the session's")
	}
	if m.CheckFormToken(alice.request(), "login", s.Token("login")) {
		t.Error("the session's token passes as the pre-session's")
	}
}
