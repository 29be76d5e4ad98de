package authorize

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/oauth"
)

// An error response carries error, error_description, state and iss, and
// keeps the redirect URI's own query.
func TestErrorResponseLocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, redirect, state string
		wantPrefix            string
	}{
		{"no query", "https://app.example.com/cb", "af0 ifj&x=1", "https://app.example.com/cb?"},
		{"a query", "https://app.example.com/cb?tenant=a", "s", "https://app.example.com/cb?tenant=a&"},
		{"an empty query", "https://app.example.com/cb?", "s", "https://app.example.com/cb?"},
		{"no state", "http://127.0.0.1:51004/callback", "", "http://127.0.0.1:51004/callback?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := &Request{RedirectURI: tc.redirect, State: tc.state, ResponseMode: ModeQuery}
			r := req.ErrorResponse(issuer, oauth.Errorf(oauth.InvalidScope, `scope "x\y" is unknown (§3.3) – é`))
			loc := r.Location()
			if !strings.HasPrefix(loc, tc.wantPrefix) || strings.Count(loc, "?") != 1 {
				t.Fatalf("Location %q, want it to begin %q", loc, tc.wantPrefix)
			}
			u, err := url.Parse(loc)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if q.Get("error") != oauth.InvalidScope || q.Get("iss") != issuer || q.Get("state") != tc.state || q.Has("state") != (tc.state != "") {
				t.Errorf("query %v", q)
			}
			// RFC 6749 §4.1.2.1: %x20-21 / %x23-5B / %x5D-7E only.
			if d := q.Get("error_description"); d != `scope 'x/y' is unknown (section 3.3) ? ?` {
				t.Errorf("error_description %q", d)
			}
			if strings.HasPrefix(tc.redirect, "https://app.example.com/cb?tenant") && q.Get("tenant") != "a" {
				t.Errorf("the redirect URI's query is lost: %v", q)
			}
		})
	}
}

// The code response is the code, state and iss, in the request's mode.
func TestCodeResponse(t *testing.T) {
	t.Parallel()
	req := &Request{RedirectURI: "https://app.example.com/cb", State: "xyz", ResponseMode: ModeFormPost}
	r := req.CodeResponse(issuer, "SplxlOBeZQQYbYS6WxSbIA")
	want := url.Values{"code": {"SplxlOBeZQQYbYS6WxSbIA"}, "state": {"xyz"}, "iss": {issuer}}
	if r.Mode != ModeFormPost || r.Params.Encode() != want.Encode() {
		t.Errorf("response %+v", r)
	}
}

var (
	scriptRE   = regexp.MustCompile(`(?s)<script>(.*?)</script>`)
	inputRE    = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	formRE     = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	noscriptRE = regexp.MustCompile(`(?s)<noscript>[^<]*<p>[^<]*</p>\s*<button type="submit">Continue</button>\s*</noscript>`)
)

// The form_post page posts every parameter, escaped, to the redirect URI;
// its one script is allowed by its hash in the page's policy, which
// allows nothing else; without JavaScript there is a button.
func TestFormPost(t *testing.T) {
	t.Parallel()
	req := &Request{RedirectURI: "https://app.example.com/cb?x=1&y=2", State: `"><script>alert(1)</script>`, ResponseMode: ModeFormPost}
	r := req.ErrorResponse(issuer, oauth.Errorf(oauth.AccessDenied, "the user denied the request"))
	page, err := r.FormPost()
	if err != nil {
		t.Fatal(err)
	}
	s := string(page)
	if strings.Count(s, "<script>") != 1 {
		t.Fatalf("a script was injected:\n%s", s)
	}
	// The page is ours, so its shape is known: one form, hidden inputs,
	// a button inside noscript.
	fields := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(s, -1) {
		fields.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	var action string
	if m := formRE.FindStringSubmatch(s); m != nil {
		action = html.UnescapeString(m[1])
	}
	buttons := len(noscriptRE.FindAllString(s, -1))
	if strings.Count(s, "<input") != len(fields) || strings.Count(s, "<button") != 1 || strings.Count(s, "<form") != 1 {
		t.Errorf("page\n%s", s)
	}
	if action != "https://app.example.com/cb?x=1&y=2" {
		t.Errorf("action %q", action)
	}
	if buttons != 1 {
		t.Errorf("%d buttons in noscript, want 1", buttons)
	}
	if fields.Encode() != r.Params.Encode() {
		t.Errorf("fields %v, want %v", fields, r.Params)
	}

	csp := r.FormPostCSP()
	m := scriptRE.FindStringSubmatch(s)
	h := sha256.Sum256([]byte(m[1]))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
	want := "default-src 'none'; script-src " + hash + "; base-uri 'none'; form-action https://app.example.com"
	if csp != want {
		t.Errorf("CSP\n %s\nwant\n %s", csp, want)
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "nonce") {
		t.Errorf("CSP %s", csp)
	}
}

// The form's action is the redirect URI, also for a native app's scheme;
// a script URI never becomes one.
func TestFormPostAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		redirect, wantAction, wantFormAction string
	}{
		{"http://127.0.0.1:51004/callback", "http://127.0.0.1:51004/callback", "form-action http://127.0.0.1:51004"},
		{"http://[::1]:8080/cb", "http://[::1]:8080/cb", "form-action http://[::1]:8080"},
		{"com.example.app:/oauth2redirect", "com.example.app:/oauth2redirect", "form-action com.example.app:"},
		{"javascript:alert(1)", "#ZgotmplZ", "form-action javascript:"},
	}
	for _, tc := range tests {
		r := &Response{RedirectURI: tc.redirect, Mode: ModeFormPost, Params: url.Values{"code": {"c"}}}
		page, err := r.FormPost()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(page), `action="`+tc.wantAction+`"`) {
			t.Errorf("%s: page\n%s\nwant action %q", tc.redirect, page, tc.wantAction)
		}
		if csp := r.FormPostCSP(); !strings.HasSuffix(csp, "; "+tc.wantFormAction) {
			t.Errorf("%s: CSP %s", tc.redirect, csp)
		}
	}
}
