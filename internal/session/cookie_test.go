package session_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/session"
)

func issuer(s string) func(context.Context) string {
	return func(context.Context) string { return s }
}

func TestCookieAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		issuer     func(context.Context) string
		sameSite   http.SameSite
		secure     bool
		wantSame   http.SameSite
		wantErrSub string // Start fails
	}{
		{name: "https", issuer: issuer("https://auth.example.com"), secure: true, wantSame: http.SameSiteLaxMode},
		{name: "http", issuer: issuer("http://localhost:5000"), secure: false, wantSame: http.SameSiteLaxMode},
		{name: "HTTP upper case", issuer: issuer("HTTP://localhost:5000"), secure: false, wantSame: http.SameSiteLaxMode},
		{name: "no issuer", secure: true, wantSame: http.SameSiteLaxMode},
		{name: "default mode", issuer: issuer("https://auth.example.com"), sameSite: http.SameSiteDefaultMode, secure: true, wantSame: http.SameSiteLaxMode},
		{name: "None https", issuer: issuer("https://auth.example.com"), sameSite: http.SameSiteNoneMode, secure: true, wantSame: http.SameSiteNoneMode},
		{name: "None http", issuer: issuer("http://localhost:5000"), sameSite: http.SameSiteNoneMode, wantErrSub: "SameSite=None needs a Secure cookie"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, _ := memoryManager(t, session.Options{Issuer: tt.issuer, SameSite: tt.sameSite})
			rec := httptest.NewRecorder()
			_, err := m.Start(t.Context(), rec, "alice", start, []string{"pwd"}, "")
			if tt.wantErrSub != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrSub) || !strings.Contains(err.Error(), "https") {
					t.Fatalf("Start = %v, want an error with %q that says to use https", err, tt.wantErrSub)
				}
				if len(rec.Header().Values("Set-Cookie")) != 0 {
					t.Fatal("Start set a cookie after failing")
				}
				// Removing the cookie still works, without None.
				rec = httptest.NewRecorder()
				if _, err := m.End(t.Context(), rec, httptest.NewRequest("GET", "/", nil)); err != nil {
					t.Fatalf("End: %v", err)
				}
				if c := onlyCookie(t, rec, session.CookieName); c.MaxAge >= 0 || c.Secure || c.SameSite != http.SameSiteLaxMode {
					t.Fatalf("End's cookie %+v, want Max-Age<0, Lax, not Secure", c)
				}
				return
			}
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			c := onlyCookie(t, rec, session.CookieName)
			want := int(session.DefaultAbsoluteLifetime / time.Second)
			if c.Path != "/" || !c.HttpOnly || c.Secure != tt.secure || c.SameSite != tt.wantSame || c.MaxAge != want || c.Domain != "" {
				t.Errorf("cookie %+v (%q), want Path=/ HttpOnly Secure=%v SameSite=%v Max-Age=%d, no Domain",
					c, rec.Header().Get("Set-Cookie"), tt.secure, tt.wantSame, want)
			}
			rec = httptest.NewRecorder()
			if _, err := m.End(t.Context(), rec, httptest.NewRequest("GET", "/", nil)); err != nil {
				t.Fatalf("End: %v", err)
			}
			if c := onlyCookie(t, rec, session.CookieName); c.MaxAge >= 0 || c.Secure != tt.secure || !c.HttpOnly || c.Path != "/" {
				t.Errorf("End's cookie %+v, want Max-Age<0 with the same Path, HttpOnly, Secure", c)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts session.Options
		want string
	}{
		{"Strict", session.Options{SameSite: http.SameSiteStrictMode}, "SameSite=Strict is not supported"},
		{"unknown mode", session.Options{SameSite: 9}, "SameSite mode 9 is unknown"},
		{"negative idle", session.Options{IdleLifetime: -time.Hour}, "idle lifetime -1h0m0s is under a second"},
		{"absolute under idle", session.Options{IdleLifetime: 10 * time.Hour, AbsoluteLifetime: time.Hour}, "absolute lifetime 1h0m0s is shorter than the idle lifetime 10h0m0s"},
		{"negative form", session.Options{FormLifetime: -1}, "form lifetime -1ns is under a second"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := session.New(memoryStore(newClock()), tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error with %q", err, tt.want)
			}
		})
	}
	// An idle lifetime over the default absolute one raises it.
	if _, err := session.New(memoryStore(newClock()), session.Options{IdleLifetime: 40 * 24 * time.Hour}); err != nil {
		t.Errorf("New with a 40-day idle lifetime: %v", err)
	}
}

func TestCheckSameSite(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		mode   http.SameSite
		issuer string
		ok     bool
	}{
		{0, "http://localhost", true},
		{http.SameSiteLaxMode, "http://localhost", true},
		{http.SameSiteNoneMode, "https://auth.example.com", true},
		{http.SameSiteNoneMode, "", true},
		{http.SameSiteNoneMode, "http://localhost", false},
		{http.SameSiteStrictMode, "https://auth.example.com", false},
	} {
		if err := session.CheckSameSite(tt.mode, tt.issuer); (err == nil) != tt.ok {
			t.Errorf("CheckSameSite(%v, %q) = %v, want ok=%v", tt.mode, tt.issuer, err, tt.ok)
		}
	}
}

// TestCookieGarbage: whatever the Cookie header holds, a request without
// exactly one canonical handle has no session, and no error.
func TestCookieGarbage(t *testing.T) {
	t.Parallel()
	m, _ := memoryManager(t, session.Options{})
	b, _ := signedIn(t, m, "alice")
	good := b.cookies[session.CookieName].Value
	raw, _ := base64.RawURLEncoding.DecodeString(good)
	name := session.CookieName + "="
	tests := map[string]string{
		"none":              "",
		"other name":        "signet.sessionx=" + good,
		"empty":             name,
		"short":             name + good[:42],
		"long":              name + good + "A",
		"padded":            name + base64.URLEncoding.EncodeToString(raw),
		"standard alphabet": name + strings.NewReplacer("-", "+", "_", "/").Replace(good) + "+/",
		"non-canonical end": name + good[:42] + nonCanonical(good[42]),
		"two cookies":       name + good + "; " + name + good,
		"space inside":      name + good[:20] + " " + good[21:],
		"huge":              name + strings.Repeat("A", 1<<16),
		"not UTF-8":         name + good[:40] + "\xff\xfe\xfd",
		"NUL":               name + good[:42] + "\x00",
	}
	for label, header := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if header != "" {
			r.Header.Set("Cookie", header)
		}
		s, err := m.Current(t.Context(), r)
		if s != nil || err != nil {
			t.Errorf("%s: Current = %v, %v; want no session and no error", label, s, err)
		}
		rec := httptest.NewRecorder()
		if ended, err := m.End(t.Context(), rec, r); ended != nil || err != nil {
			t.Errorf("%s: End = %v, %v; want nothing ended", label, ended, err)
		}
	}
	// The genuine cookie is still there: garbage ended nothing.
	if s := current(t, m, b); s == nil {
		t.Fatal("the genuine session ended")
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "theme=dark; "+name+good+"; lang=en")
	if s, err := m.Current(t.Context(), r); s == nil || err != nil {
		t.Fatalf("Current among other cookies = %v, %v; want the session", s, err)
	}
}

// nonCanonical returns another character that decodes to the same bytes
// as the last character c of a 43-character handle: the same top 4 bits,
// non-zero unused bits.
func nonCanonical(c byte) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, c)
	return string(alphabet[i|1])
}
