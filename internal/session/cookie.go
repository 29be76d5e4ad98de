package session

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CookieName is the name of the session cookie.
const CookieName = "signet.session"

// FormCookieName is the name of the pre-session cookie that the tokens of
// anonymous forms (the login form) are made from.
const FormCookieName = "signet.csrf"

// CheckSameSite refuses a SameSite mode the session cookie cannot use with
// issuer: SameSite=None needs a Secure cookie, which a plain http issuer
// cannot set, and Strict would hide the session from every relying party's
// redirect to Signet. The zero value and http.SameSiteDefaultMode mean
// Lax. issuer "" means https (a Secure cookie).
func CheckSameSite(mode http.SameSite, issuer string) error {
	switch mode {
	case 0, http.SameSiteDefaultMode, http.SameSiteLaxMode:
		return nil
	case http.SameSiteNoneMode:
		if plainHTTP(issuer) {
			return fmt.Errorf("session cookie SameSite=None needs a Secure cookie, which browsers take only over https, but the issuer %s is plain http: serve Signet over https, or use SameSite=Lax", issuer)
		}
		return nil
	case http.SameSiteStrictMode:
		return fmt.Errorf("session cookie SameSite=Strict is not supported: a browser would not send it when a relying party on another site sends the user to Signet, so every sign-in would ask for the password again; use Lax (the default) or None")
	default:
		return fmt.Errorf("session cookie SameSite mode %d is unknown: use Lax (the default) or None", mode)
	}
}

// plainHTTP reports whether issuer is an http (not https) URL.
func plainHTTP(issuer string) bool {
	return len(issuer) >= len("http://") && strings.EqualFold(issuer[:len("http://")], "http://")
}

// cookie builds a cookie named name with value that the browser keeps for
// maxAge (rounded down to whole seconds, at least one), or removes when
// maxAge is negative, with sameSite (Lax or None) and Secure unless ctx's
// issuer is plain http. It fails only for SameSite=None over plain http.
func (m *Manager) cookie(ctx context.Context, name, value string, maxAge time.Duration, sameSite http.SameSite) (*http.Cookie, error) {
	issuer := ""
	if m.issuer != nil {
		issuer = m.issuer(ctx)
	}
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   !plainHTTP(issuer),
		SameSite: http.SameSiteLaxMode,
	}
	if sameSite == http.SameSiteNoneMode {
		if err := CheckSameSite(sameSite, issuer); err != nil {
			if maxAge >= 0 {
				return nil, err
			}
			// Removing the cookie: SameSite plays no part in which cookie
			// is replaced, and a None cookie without Secure would be
			// refused.
		} else {
			c.SameSite = http.SameSiteNoneMode
		}
	}
	switch {
	case maxAge < 0:
		c.MaxAge = -1 // Max-Age=0
		c.Expires = time.Unix(1, 0)
	case maxAge < time.Second:
		c.MaxAge = 1
	default:
		c.MaxAge = int(maxAge / time.Second)
	}
	return c, nil
}

// setCookie adds c to w's headers, replacing a Set-Cookie of the same name
// added before in this response (End then Start sends only the new
// session's cookie).
func setCookie(w http.ResponseWriter, c *http.Cookie) {
	h := w.Header()
	lines := h.Values("Set-Cookie")
	kept := lines[:0:0]
	for _, l := range lines {
		if name, _, _ := strings.Cut(l, "="); strings.TrimSpace(name) != c.Name {
			kept = append(kept, l)
		}
	}
	h.Del("Set-Cookie")
	for _, l := range kept {
		h.Add("Set-Cookie", l)
	}
	http.SetCookie(w, c)
}

// handleFrom returns the handle in r's cookie named name, or "" when r has
// none, more than one, or one whose value is not a canonical handle.
func handleFrom(r *http.Request, name string) string {
	cs := r.CookiesNamed(name)
	if len(cs) != 1 || !validHandle(cs[0].Value) {
		return ""
	}
	return cs[0].Value
}

// StepCookieName is the name of the cookie that holds the handle of a
// sign-in half done (the password was right, the second factor is to
// come), for a few minutes.
const StepCookieName = "signet.step"

// SetStepCookie sets the step cookie to handle for maxAge, or removes it
// when handle is "". Like the login form's cookie it is SameSite=Lax
// whatever the session cookie's: the second step posts to its own origin.
func (m *Manager) SetStepCookie(ctx context.Context, w http.ResponseWriter, handle string, maxAge time.Duration) error {
	if handle == "" {
		maxAge = -1
	}
	c, err := m.cookie(ctx, StepCookieName, handle, maxAge, http.SameSiteLaxMode)
	if err != nil {
		return err
	}
	setCookie(w, c)
	return nil
}

// StepHandle is the handle in r's step cookie, or "" when it has none (or
// a malformed one).
func StepHandle(r *http.Request) string { return handleFrom(r, StepCookieName) }
