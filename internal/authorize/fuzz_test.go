package authorize

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// FuzzParse: any query gives a request or an error for the page, never a
// panic; validated against the test clients, it is accepted, an error
// page, or a redirect to a URI the client registered, never anywhere
// else (no open redirect).
func FuzzParse(f *testing.F) {
	f.Add("response_type=code&client_id=web&redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc&scope=openid&code_challenge=" + challenge + "&code_challenge_method=S256&state=s")
	f.Add("response_type=token&client_id=native&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback&scope=openid&prompt=none+login&max_age=-1")
	f.Add("response_type=code&client_id=legacy&scope=openid+offline_access&response_mode=form_post&request=x&claims=%7B%7D")
	f.Add("client_id=web&client_id=web&redirect_uri=https%3A%2F%2Fevil.example.net%2F")
	f.Add("client_id=native&redirect_uri=http%3A%2F%2F127.0.0.1%3A80%40evil.net%2Fcallback&state=%zz")
	f.Add("response_type=code&client_id=public&scope=openid&display=popup&max_age=99999999999999999999&code_challenge_method=plain")
	v := validator()
	all := clients()
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) > MaxRequestBytes {
			return
		}
		req, err := parse(raw)
		var pe *PageError
		switch {
		case err != nil && (req != nil || !errors.As(err, &pe)):
			t.Fatalf("parse: %+v, %v", req, err)
		case err != nil:
			return
		case req.Problem != nil && (req.Problem.Code == "" || req.Problem.Description == ""):
			t.Fatalf("Problem %+v", req.Problem)
		case req.ResponseMode != ModeQuery && req.ResponseMode != ModeFormPost:
			t.Fatalf("ResponseMode %q", req.ResponseMode)
		case req.Prompt.None && (req.Prompt.Login || req.Prompt.Consent || req.Prompt.SelectAccount):
			t.Fatalf("Prompt %+v", req.Prompt)
		case req.MaxAge < 0:
			t.Fatalf("MaxAge %v", req.MaxAge)
		}
		err = v.Validate(context.Background(), issuer, req)
		var re *RedirectError
		switch {
		case err == nil:
			if req.Problem != nil || req.Client == nil || len(req.Scopes) == 0 || !matchRedirectURI(req.Client.RedirectURIs, req.RedirectURI) {
				t.Fatalf("accepted %+v", req)
			}
		case errors.As(err, &re):
			c := all[req.ClientID]
			if c == nil || c.Disabled || !matchRedirectURI(c.RedirectURIs, re.Response.RedirectURI) || strings.Contains(re.Response.RedirectURI, "#") {
				t.Fatalf("a redirect to %q for client %q", re.Response.RedirectURI, req.ClientID)
			}
			loc, err := url.Parse(re.Response.Location())
			if err != nil {
				t.Fatalf("Location %q: %v", re.Response.Location(), err)
			}
			if loc.Query().Get("error") != re.Err.Code || loc.Query().Get("iss") != issuer {
				t.Fatalf("Location %q", loc)
			}
			if _, err := re.Response.FormPost(); err != nil {
				t.Fatal(err)
			}
		case !errors.As(err, &pe):
			t.Fatalf("Validate: %v", err)
		}
	})
}
