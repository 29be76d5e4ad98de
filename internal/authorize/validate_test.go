package authorize

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/oauth"
)

const issuer = "https://id.example.com"

func clients() client.Static {
	code := []string{"authorization_code"}
	return client.Static{
		"web": {ID: "web", GrantTypes: code, Scopes: []string{"openid", "profile", "email", "api1"}, RequirePKCE: true,
			RedirectURIs: []string{"https://app.example.com/signin-oidc", "https://app.example.com/cb?tenant=a"}},
		"native": {ID: "native", Public: true, GrantTypes: code, Scopes: []string{"openid", "api1"}, AllowOfflineAccess: true,
			RedirectURIs: []string{"http://127.0.0.1/callback", "http://[::1]:8080/cb", "http://localhost/cb", "com.example.app:/oauth2redirect"}},
		// legacy: one redirect URI, PKCE optional, plain allowed.
		"legacy": {ID: "legacy", GrantTypes: code, Scopes: []string{"openid", "profile"}, AllowPlainTextPKCE: true,
			RedirectURIs: []string{"https://legacy.example.com/cb"}},
		// public: a public client that says PKCE is optional is held to it.
		"public":   {ID: "public", Public: true, GrantTypes: code, Scopes: []string{"openid"}, RedirectURIs: []string{"https://spa.example.com/"}},
		"m2m":      {ID: "m2m", GrantTypes: []string{"client_credentials"}, Scopes: []string{"api1"}, RedirectURIs: []string{"https://m2m.example.com/cb"}},
		"nowhere":  {ID: "nowhere", GrantTypes: code, Scopes: []string{"openid"}},
		"disabled": {ID: "disabled", Disabled: true, GrantTypes: code, Scopes: []string{"openid"}, RedirectURIs: []string{"https://app.example.com/signin-oidc"}},
	}
}

func validator() *Validator {
	known := []string{"openid", "profile", "email", "api1"}
	return &Validator{Clients: clients(), KnownScope: func(s string) bool { return slices.Contains(known, s) }}
}

// outcome is how a case ends: "ok", "page <code>" or "redirect <code>".
func outcome(err error) string {
	var pe *PageError
	var re *RedirectError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &pe):
		return "page " + pe.Err.Code
	case errors.As(err, &re):
		return "redirect " + re.Err.Code
	}
	return "other " + err.Error()
}

// Every way a request can fail is classified: the client or the redirect
// URI wrong is an error page, never a redirect; the rest goes to the
// client's redirect URI.
func TestValidate(t *testing.T) {
	t.Parallel()
	const (
		web    = "response_type=code&client_id=web&redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc&scope=openid+profile&state=af0ifjsldkj&code_challenge=" + challenge + "&code_challenge_method=S256"
		native = "response_type=code&client_id=native&scope=openid&state=xyz&code_challenge=" + challenge + "&code_challenge_method=S256&redirect_uri="
		legacy = "response_type=code&client_id=legacy&scope=profile&state=s1"
	)
	tests := []struct {
		name, query string
		want        string
		// redirect is where a redirect goes (the redirect URI resolved
		// when ok); "" for the case's own redirect_uri or none.
		redirect string
	}{
		{"a valid request", web, "ok", "https://app.example.com/signin-oidc"},
		{"a registered URI with a query", strings.Replace(web, "signin-oidc", "cb%3Ftenant%3Da", 1), "ok", "https://app.example.com/cb?tenant=a"},

		// The error page: the client or the redirect URI is wrong.
		{"client_id missing", "response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc&scope=openid", "page invalid_request", ""},
		{"client_id unknown", strings.Replace(web, "client_id=web", "client_id=evil", 1), "page invalid_client", ""},
		{"client_id disabled", strings.Replace(web, "client_id=web", "client_id=disabled", 1), "page invalid_client", ""},
		{"client_id in another case", strings.Replace(web, "client_id=web", "client_id=WEB", 1), "page invalid_client", ""},
		{"client_id repeated", web + "&client_id=web", "page invalid_request", ""},
		{"redirect_uri repeated", web + "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc", "page invalid_request", ""},
		{"redirect_uri missing, two registered", strings.Replace(web, "redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc&", "", 1), "page invalid_request", ""},
		{"redirect_uri of an attacker", strings.Replace(web, "app.example.com", "evil.example.net", 1), "page invalid_request", ""},
		{"redirect_uri under the registered one", strings.Replace(web, "signin-oidc", "signin-oidc%2F..%2F..%2Fevil", 1), "page invalid_request", ""},
		{"redirect_uri with a prefix of the host", strings.Replace(web, "app.example.com", "app.example.com.evil.net", 1), "page invalid_request", ""},
		{"redirect_uri with user info", strings.Replace(web, "https%3A%2F%2Fapp.example.com", "https%3A%2F%2Fapp.example.com%40evil.net", 1), "page invalid_request", ""},
		{"redirect_uri with another query", strings.Replace(web, "signin-oidc", "cb%3Ftenant%3Db", 1), "page invalid_request", ""},
		{"redirect_uri with a trailing slash", strings.Replace(web, "signin-oidc", "signin-oidc%2F", 1), "page invalid_request", ""},
		{"redirect_uri with a fragment", strings.Replace(web, "signin-oidc", "signin-oidc%23x", 1), "page invalid_request", ""},
		{"redirect_uri with an empty fragment", strings.Replace(web, "signin-oidc", "signin-oidc%23", 1), "page invalid_request", ""},
		{"redirect_uri with the host in capitals", strings.Replace(web, "app.example.com", "APP.example.com", 1), "page invalid_request", ""},
		{"redirect_uri with the scheme in capitals", strings.Replace(web, "https%3A", "HTTPS%3A", 1), "page invalid_request", ""},
		{"redirect_uri with the path in capitals", strings.Replace(web, "signin-oidc", "Signin-oidc", 1), "page invalid_request", ""},
		{"redirect_uri with the default port", strings.Replace(web, "app.example.com", "app.example.com%3A443", 1), "page invalid_request", ""},
		{"redirect_uri in http", strings.Replace(web, "https%3A", "http%3A", 1), "page invalid_request", ""},
		{"redirect_uri of another client", strings.Replace(web, "https%3A%2F%2Fapp.example.com%2Fsignin-oidc", "https%3A%2F%2Flegacy.example.com%2Fcb", 1), "page invalid_request", ""},
		{"a client without redirect URIs", "response_type=code&client_id=nowhere&scope=openid", "page invalid_request", ""},
		{"a bad redirect_uri and a bad response_type", strings.Replace(strings.Replace(web, "app.example.com", "evil.example.net", 1), "response_type=code", "response_type=token", 1), "page invalid_request", ""},
		{"an unknown client and a request object", "client_id=evil&request=x&redirect_uri=https%3A%2F%2Fevil.example.net%2F", "page invalid_client", ""},

		// RFC 8252 §7.3: a registered loopback URI with any port.
		{"loopback 127.0.0.1 on a port", native + "http%3A%2F%2F127.0.0.1%3A51004%2Fcallback", "ok", ""},
		{"loopback 127.0.0.1 as registered", native + "http%3A%2F%2F127.0.0.1%2Fcallback", "ok", ""},
		{"loopback [::1] on another port", native + "http%3A%2F%2F%5B%3A%3A1%5D%3A9999%2Fcb", "ok", ""},
		{"loopback [::1] without a port", native + "http%3A%2F%2F%5B%3A%3A1%5D%2Fcb", "ok", ""},
		{"loopback localhost on a port", native + "http%3A%2F%2Flocalhost%3A3000%2Fcb", "ok", ""},
		{"loopback highest port", native + "http%3A%2F%2F127.0.0.1%3A65535%2Fcallback", "ok", ""},
		{"loopback port over 65535", native + "http%3A%2F%2F127.0.0.1%3A65536%2Fcallback", "page invalid_request", ""},
		{"loopback empty port", native + "http%3A%2F%2F127.0.0.1%3A%2Fcallback", "page invalid_request", ""},
		{"loopback another path", native + "http%3A%2F%2F127.0.0.1%3A51004%2Fother", "page invalid_request", ""},
		{"loopback a longer path", native + "http%3A%2F%2F127.0.0.1%3A51004%2Fcallback%2Fx", "page invalid_request", ""},
		{"loopback with a query", native + "http%3A%2F%2F127.0.0.1%3A51004%2Fcallback%3Fx%3D1", "page invalid_request", ""},
		{"loopback with a fragment", native + "http%3A%2F%2F127.0.0.1%3A51004%2Fcallback%23x", "page invalid_request", ""},
		{"loopback in https", native + "https%3A%2F%2F127.0.0.1%3A51004%2Fcallback", "page invalid_request", ""},
		{"loopback host not registered", native + "http%3A%2F%2F127.0.0.1%3A51004%2Fcb", "page invalid_request", ""},
		{"loopback another address", native + "http%3A%2F%2F127.0.0.2%3A51004%2Fcallback", "page invalid_request", ""},
		{"loopback a host that begins like one", native + "http%3A%2F%2F127.0.0.1.evil.net%2Fcallback", "page invalid_request", ""},
		{"loopback with user info", native + "http%3A%2F%2F127.0.0.1%3A80%40evil.net%2Fcallback", "page invalid_request", ""},
		{"loopback LOCALHOST", native + "http%3A%2F%2FLOCALHOST%3A3000%2Fcb", "page invalid_request", ""},
		{"loopback HTTP", native + "HTTP%3A%2F%2F127.0.0.1%3A51004%2Fcallback", "page invalid_request", ""},
		{"a private-use scheme", native + "com.example.app%3A%2Foauth2redirect", "ok", ""},
		{"a private-use scheme with another path", native + "com.example.app%3A%2Fother", "page invalid_request", ""},
		{"a private-use scheme with a port-like suffix", native + "com.example.app%3A%2Foauth2redirect%3A1", "page invalid_request", ""},

		// The one registered URI is used when none is sent.
		{"redirect_uri missing, one registered", legacy, "ok", "https://legacy.example.com/cb"},
		// OpenID Connect Core §3.1.2.1: an openid request must send it.
		{"redirect_uri missing, openid", strings.Replace(legacy, "scope=profile", "scope=openid", 1), "page invalid_request", ""},

		// Errors for the client, at its redirect URI.
		{"response_type missing", strings.Replace(web, "response_type=code&", "", 1), "redirect invalid_request", ""},
		{"response_type token", strings.Replace(web, "response_type=code", "response_type=token", 1), "redirect unsupported_response_type", ""},
		{"response_type id_token", strings.Replace(web, "response_type=code", "response_type=id_token", 1), "redirect unsupported_response_type", ""},
		{"response_type hybrid", strings.Replace(web, "response_type=code", "response_type=code+id_token+token", 1), "redirect unsupported_response_type", ""},
		{"request", web + "&request=eyJhbGciOiJub25lIn0.e30.", "redirect request_not_supported", ""},
		{"request_uri", web + "&request_uri=urn%3Aexample%3Ax", "redirect request_uri_not_supported", ""},
		{"a client without the grant type", "response_type=code&client_id=m2m&scope=api1&code_challenge=" + challenge + "&code_challenge_method=S256", "redirect unauthorized_client", "https://m2m.example.com/cb"},
		{"scope missing", strings.Replace(web, "scope=openid+profile&", "", 1), "redirect invalid_scope", ""},
		{"scope blank", strings.Replace(web, "scope=openid+profile", "scope=+", 1), "redirect invalid_scope", ""},
		{"scope not allowed", strings.Replace(web, "scope=openid+profile", "scope=openid+phone", 1), "redirect invalid_scope", ""},
		{"scope of an API", strings.Replace(native, "scope=openid", "scope=openid+api1", 1) + "http%3A%2F%2F127.0.0.1%2Fcallback", "ok", ""},
		{"scope in another case", strings.Replace(web, "scope=openid+profile", "scope=OpenID", 1), "redirect invalid_scope", ""},
		{"scope with a bad character", strings.Replace(web, "scope=openid+profile", "scope=openid+%22x", 1), "redirect invalid_scope", ""},
		{"offline_access not allowed", strings.Replace(web, "scope=openid+profile", "scope=openid+offline_access", 1), "redirect invalid_scope", ""},
		{"offline_access allowed", strings.Replace(native, "scope=openid", "scope=openid+offline_access", 1) + "http%3A%2F%2F127.0.0.1%2Fcallback", "ok", ""},
		{"openid missing is plain OAuth", strings.Replace(web, "scope=openid+profile", "scope=api1", 1), "ok", ""},
		{"PKCE missing", strings.Replace(web, "&code_challenge="+challenge+"&code_challenge_method=S256", "", 1), "redirect invalid_request", ""},
		{"PKCE missing, public client", "response_type=code&client_id=public&scope=openid&redirect_uri=https%3A%2F%2Fspa.example.com%2F", "redirect invalid_request", "https://spa.example.com/"},
		{"PKCE missing, not required", legacy, "ok", "https://legacy.example.com/cb"},
		{"PKCE plain not allowed", strings.Replace(web, "code_challenge_method=S256", "code_challenge_method=plain", 1), "redirect invalid_request", ""},
		{"PKCE with no method is plain", strings.Replace(web, "&code_challenge_method=S256", "", 1), "redirect invalid_request", ""},
		{"PKCE plain allowed", legacy + "&code_challenge=" + challenge + "&code_challenge_method=plain", "ok", "https://legacy.example.com/cb"},
		{"PKCE bad challenge", strings.Replace(web, "code_challenge="+challenge, "code_challenge=short", 1), "redirect invalid_request", ""},
		{"PKCE S256 challenge not a SHA-256", strings.Replace(web, "code_challenge="+challenge, "code_challenge="+challenge+"A", 1), "redirect invalid_request", ""},
		{"prompt none with login", web + "&prompt=none+login", "redirect invalid_request", ""},
		{"max_age negative", web + "&max_age=-5", "redirect invalid_request", ""},
		{"response_mode fragment", web + "&response_mode=fragment", "redirect invalid_request", ""},
		{"state repeated", web + "&state=other", "redirect invalid_request", ""},

		// Accepted and never an error.
		{"everything optional", web + "&nonce=n&prompt=consent&max_age=0&login_hint=alice&id_token_hint=x.y.z&ui_locales=fr&claims_locales=de&acr_values=1&display=wap&claims=%7B%22userinfo%22%3A%7B%22email%22%3A%7B%22essential%22%3Atrue%7D%7D%7D&foo=bar", "ok", ""},
		{"claims not JSON", web + "&claims=nope", "ok", ""},
	}
	v := validator()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := parseGet(t, tc.query)
			sent := req.RedirectURI
			err := v.Validate(t.Context(), issuer, req)
			if got := outcome(err); got != tc.want {
				t.Fatalf("Validate: %s (%v), want %s", got, err, tc.want)
			}
			want := tc.redirect
			if want == "" {
				want = sent
			}
			var re *RedirectError
			switch {
			case err == nil:
				if req.Client == nil || req.Client.ID != req.ClientID || req.RedirectURI != want || req.RedirectURISent != (sent != "") {
					t.Errorf("request %+v: want client %s, redirect URI %q", req, req.ClientID, want)
				}
			case errors.As(err, &re):
				r := re.Response
				if r.RedirectURI != want || r.Mode != ModeQuery {
					t.Errorf("response at %q (%s), want %q", r.RedirectURI, r.Mode, want)
				}
				if r.Params.Get("error") != re.Err.Code || r.Params.Get("error_description") == "" || r.Params.Get("iss") != issuer {
					t.Errorf("response parameters %v", r.Params)
				}
				if req.State != "" && r.Params.Get("state") != req.State {
					t.Errorf("state %q, want %q", r.Params.Get("state"), req.State)
				}
				if !matchRedirectURI(clients()[req.ClientID].RedirectURIs, r.RedirectURI) {
					t.Errorf("a redirect to %q, which client %s did not register", r.RedirectURI, req.ClientID)
				}
			default:
				var pe *PageError
				if errors.As(err, &pe) && pe.Err.Description == "" {
					t.Errorf("a page error without a description: %+v", pe.Err)
				}
			}
		})
	}
}

// A valid request's scopes are each once, in order; openid makes it an
// OpenID Connect request.
func TestValidateScopes(t *testing.T) {
	t.Parallel()
	req := parseGet(t, "response_type=code&client_id=legacy&scope=profile+openid++profile&redirect_uri=https%3A%2F%2Flegacy.example.com%2Fcb")
	if err := validator().Validate(t.Context(), issuer, req); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(req.Scopes, []string{"profile", "openid"}) || !req.OpenID {
		t.Errorf("Scopes %v, OpenID %v", req.Scopes, req.OpenID)
	}

	// A scope the client is allowed but that no longer exists is refused.
	v := &Validator{Clients: clients(), KnownScope: func(s string) bool { return s == "openid" }}
	req = parseGet(t, "response_type=code&client_id=legacy&scope=openid+profile&redirect_uri=https%3A%2F%2Flegacy.example.com%2Fcb")
	if got := outcome(v.Validate(t.Context(), issuer, req)); got != "redirect invalid_scope" {
		t.Errorf("an unknown scope: %s", got)
	}
}

// An error goes back as the request asked: form_post too.
func TestValidateFormPostError(t *testing.T) {
	t.Parallel()
	req, err := Parse(post("response_type=token&client_id=legacy&state=s%22%3C&response_mode=form_post"))
	if err != nil {
		t.Fatal(err)
	}
	var re *RedirectError
	if err := validator().Validate(t.Context(), issuer, req); !errors.As(err, &re) {
		t.Fatalf("Validate: %v", err)
	}
	if re.Response.Mode != ModeFormPost || re.Response.Params.Get("state") != `s"<` || re.Response.RedirectURI != "https://legacy.example.com/cb" {
		t.Errorf("response %+v", re.Response)
	}
}

// A store that fails is a server_error on the page: the redirect URI is
// not known.
func TestValidateStoreFails(t *testing.T) {
	t.Parallel()
	v := &Validator{Clients: failingClients{}}
	req := parseGet(t, "response_type=code&client_id=web&redirect_uri=https%3A%2F%2Fapp.example.com%2Fsignin-oidc")
	err := v.Validate(t.Context(), issuer, req)
	var pe *PageError
	if !errors.As(err, &pe) || pe.Err.Code != oauth.ServerError || pe.Err.Status != 500 || !errors.Is(err, errStore) {
		t.Errorf("Validate: %v", err)
	}
	if strings.Contains(pe.Err.Description, "disk") {
		t.Errorf("the cause is in the description: %q", pe.Err.Description)
	}
}

var errStore = errors.New("disk on fire")

type failingClients struct{}

func (failingClients) Client(context.Context, string) (*client.Client, error) { return nil, errStore }

// matchRedirectURI is exact, but for a loopback URI's port.
func TestMatchRedirectURI(t *testing.T) {
	t.Parallel()
	registered := []string{"https://app.example.com/cb", "http://127.0.0.1:7000/cb", "http://[::1]/", "http://localhost", "myapp:/done"}
	tests := []struct {
		uri  string
		want bool
	}{
		{"https://app.example.com/cb", true},
		{"https://app.example.com/cb/", false},
		{"https://app.example.com/CB", false},
		{"https://app.example.com:443/cb", false},
		{"https://app.example.com/cb?x", false},
		{"https://app.example.com/%63b", false},
		{"https://app.example.com/./cb", false},
		{"//app.example.com/cb", false},
		{"https://evil.example.com/cb", false},
		{"http://127.0.0.1:7000/cb", true},
		{"http://127.0.0.1:1/cb", true},
		{"http://127.0.0.1/cb", true},
		{"http://127.0.0.1:07000/cb", true},
		{"http://127.0.0.1:123456/cb", false},
		{"http://127.0.0.1:7000/cb2", false},
		{"http://127.0.0.1:7000", false},
		{"http://127.0.0.1:x/cb", false},
		{"http://127.0.0.1:7000@evil.example.com/cb", false},
		{"http://[::1]:5000/", true},
		{"http://[::1]", false},
		{"http://[::1]:5000/x", false},
		{"http://[0:0:0:0:0:0:0:1]:5000/", false},
		{"http://localhost:8080", true},
		{"http://localhost", true},
		{"http://localhost:8080/", false},
		{"http://localhost.evil.example.com", false},
		{"http://localhost:8080?x=1", false},
		{"myapp:/done", true},
		{"myapp:/done/", false},
		{"MYAPP:/done", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := matchRedirectURI(registered, tc.uri); got != tc.want {
			t.Errorf("matchRedirectURI(%q) = %v, want %v", tc.uri, got, tc.want)
		}
	}
	// A loopback URI not registered as one matches nothing on another port.
	if matchRedirectURI([]string{"https://app.example.com/cb"}, "http://127.0.0.1:80/cb") {
		t.Error("a loopback URI matched a client without one")
	}
	// A host that only begins like a loopback one gets no port leniency.
	for _, uri := range []string{"http://localhost:1.example.com/cb", "http://localhost:1/.example.com/cb"} {
		if matchRedirectURI([]string{"http://localhost.example.com/cb"}, uri) {
			t.Errorf("%q matched http://localhost.example.com/cb", uri)
		}
	}
}
