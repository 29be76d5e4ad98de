package authorize

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/signetid/signet/internal/oauth"
)

// challenge is RFC 7636 Appendix B's S256 code_challenge.
const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

func get(query string) *http.Request {
	return httptest.NewRequest(http.MethodGet, "https://id.example.com/connect/authorize?"+query, nil)
}

// parseGet is Parse of a GET with query, failing t on an error.
func parseGet(t *testing.T, query string) *Request {
	t.Helper()
	req, err := Parse(get(query))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func post(form string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://id.example.com/connect/authorize", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

// everyParameter is a request of the web client (validate_test.go) with
// every parameter Parse reads, each set.
func everyParameter() url.Values {
	return url.Values{
		"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {"https://app.example.com/signin-oidc"},
		"scope": {"openid profile"}, "state": {"s t&a=te"}, "nonce": {"n-0S6_WzA2Mj"},
		"response_mode": {"form_post"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"},
		"prompt": {"login consent"}, "max_age": {"3600"}, "login_hint": {"alice@example.com"},
		"id_token_hint": {"eyJ.x.y"}, "ui_locales": {"fr-CA fr en"}, "claims_locales": {"de"},
		"acr_values": {"urn:mace:incommon:iap:silver"}, "display": {"popup"},
		"claims": {`{"id_token":{"email":{"essential":true}}}`},
	}
}

// Every parameter is read, typed, from a GET's query and a POST's form
// alike; unknown ones are ignored.
func TestParseReadsEveryParameter(t *testing.T) {
	t.Parallel()
	v := everyParameter()
	v["unknown"], v["extra"] = []string{"1", "2"}, []string{"x"}
	q := v.Encode()
	for name, r := range map[string]*http.Request{"GET": get(q), "POST": post(q)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req, err := Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			if req.Problem != nil {
				t.Fatalf("Problem %v", req.Problem)
			}
			checks := []struct{ name, got, want string }{
				{"response_type", req.ResponseType, "code"}, {"client_id", req.ClientID, "web"},
				{"redirect_uri", req.RedirectURI, "https://app.example.com/signin-oidc"}, {"scope", req.Scope, "openid profile"},
				{"state", req.State, "s t&a=te"}, {"nonce", req.Nonce, "n-0S6_WzA2Mj"},
				{"response_mode", req.ResponseMode, ModeFormPost}, {"code_challenge", req.CodeChallenge, challenge},
				{"code_challenge_method", req.CodeChallengeMethod, "S256"}, {"login_hint", req.LoginHint, "alice@example.com"},
				{"id_token_hint", req.IDTokenHint, "eyJ.x.y"}, {"ui_locales", req.UILocales, "fr-CA fr en"},
				{"claims_locales", req.ClaimsLocales, "de"}, {"acr_values", req.ACRValues, "urn:mace:incommon:iap:silver"},
				{"display", req.Display, "popup"}, {"claims", string(req.Claims), `{"id_token":{"email":{"essential":true}}}`},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
			if req.Prompt != (Prompt{Login: true, Consent: true}) {
				t.Errorf("Prompt %+v", req.Prompt)
			}
			if !req.HasMaxAge || req.MaxAge != time.Hour {
				t.Errorf("MaxAge %v, %v", req.MaxAge, req.HasMaxAge)
			}
		})
	}
}

// A minimal request has the defaults: query mode, no prompt, no max_age.
func TestParseDefaults(t *testing.T) {
	t.Parallel()
	req, err := Parse(get("response_type=code&client_id=web"))
	if err != nil || req.Problem != nil {
		t.Fatal(err, req.Problem)
	}
	if req.ResponseMode != ModeQuery || req.Prompt != (Prompt{}) || req.HasMaxAge || req.Display != "" || req.Claims != nil {
		t.Errorf("defaults: %+v", req)
	}
}

// What is wrong with a request but does not depend on the client is its
// Problem, with the error code the specifications give; what is accepted
// is typed.
func TestParseProblems(t *testing.T) {
	t.Parallel()
	const base = "response_type=code&client_id=web&"
	tests := []struct {
		name, query string
		want        string // the Problem's code; "" for none
		check       func(*Request) bool
	}{
		{"response_type missing", "client_id=web", oauth.InvalidRequest, nil},
		{"response_type token", "response_type=token&client_id=web", oauth.UnsupportedResponseType, nil},
		{"response_type id_token", "response_type=id_token&client_id=web", oauth.UnsupportedResponseType, nil},
		{"response_type hybrid", "response_type=code+id_token&client_id=web", oauth.UnsupportedResponseType, nil},
		{"response_type code token", "response_type=code%20token&client_id=web", oauth.UnsupportedResponseType, nil},
		{"response_type none", "response_type=none&client_id=web", oauth.UnsupportedResponseType, nil},
		{"response_type in capitals", "response_type=CODE&client_id=web", oauth.UnsupportedResponseType, nil},
		{"response_type repeated", "response_type=code&response_type=code&client_id=web", oauth.InvalidRequest, nil},
		{"state repeated, and so absent", base + "state=a&state=b", oauth.InvalidRequest, func(r *Request) bool { return r.State == "" }},
		{"scope repeated", base + "scope=openid&scope=api1", oauth.InvalidRequest, nil},
		{"an unknown parameter repeated", base + "foo=1&foo=2", "", nil},
		{"request", base + "request=eyJhbGciOiJub25lIn0.e30.", oauth.RequestNotSupported, nil},
		{"request_uri", base + "request_uri=https%3A%2F%2Fapp.example.com%2Freq", oauth.RequestURINotSupported, nil},
		{"an empty request is absent", base + "request=", "", nil},
		{"response_mode fragment", base + "response_mode=fragment", oauth.InvalidRequest, func(r *Request) bool { return r.ResponseMode == ModeQuery }},
		{"response_mode jwt", base + "response_mode=jwt", oauth.InvalidRequest, nil},
		{"response_mode query", base + "response_mode=query", "", func(r *Request) bool { return r.ResponseMode == ModeQuery }},
		{"prompt none", base + "prompt=none", "", func(r *Request) bool { return r.Prompt == Prompt{None: true} }},
		{"prompt login", base + "prompt=login", "", func(r *Request) bool { return r.Prompt == Prompt{Login: true} }},
		{"prompt consent", base + "prompt=consent", "", func(r *Request) bool { return r.Prompt == Prompt{Consent: true} }},
		{"prompt select_account", base + "prompt=select_account", "", func(r *Request) bool { return r.Prompt == Prompt{SelectAccount: true} }},
		{"prompt none login", base + "prompt=none+login", oauth.InvalidRequest, nil},
		{"prompt consent none", base + "prompt=consent%20none", oauth.InvalidRequest, nil},
		{"prompt unknown", base + "prompt=create", oauth.InvalidRequest, nil},
		{"max_age 0", base + "max_age=0", "", func(r *Request) bool { return r.HasMaxAge && r.MaxAge == 0 }},
		{"max_age 1", base + "max_age=1", "", func(r *Request) bool { return r.HasMaxAge && r.MaxAge == time.Second }},
		{"max_age huge", base + "max_age=99999999999999999999999", "", func(r *Request) bool { return r.HasMaxAge && r.MaxAge > 100*365*24*time.Hour }},
		{"max_age negative", base + "max_age=-1", oauth.InvalidRequest, nil},
		{"max_age plus", base + "max_age=%2B5", oauth.InvalidRequest, nil},
		{"max_age decimal", base + "max_age=1.5", oauth.InvalidRequest, nil},
		{"max_age word", base + "max_age=ten", oauth.InvalidRequest, nil},
		{"display page", base + "display=page", "", func(r *Request) bool { return r.Display == "page" }},
		{"display touch", base + "display=touch", "", func(r *Request) bool { return r.Display == "touch" }},
		{"display wap", base + "display=wap", "", func(r *Request) bool { return r.Display == "wap" }},
		{"display unknown is ignored", base + "display=tv", "", func(r *Request) bool { return r.Display == "" }},
		{"claims not JSON is ignored", base + "claims=%7Bnot+json", "", func(r *Request) bool { return r.Claims == nil }},
		{"claims a JSON array is ignored", base + "claims=%5B1%5D", "", func(r *Request) bool { return r.Claims == nil }},
		{"code_challenge too short", base + "code_challenge=abc&code_challenge_method=S256", oauth.InvalidRequest, nil},
		{"code_challenge with a bad character", base + "code_challenge=" + challenge[:42] + "%2B&code_challenge_method=S256", oauth.InvalidRequest, nil},
		{"code_challenge 129 characters", base + "code_challenge=" + strings.Repeat("a", 129), oauth.InvalidRequest, nil},
		{"code_challenge 128 characters", base + "code_challenge=" + strings.Repeat("a", 128), "", nil},
		{"code_challenge_method unknown", base + "code_challenge=" + challenge + "&code_challenge_method=S512", oauth.InvalidRequest, nil},
		{"code_challenge_method s256 in lower case", base + "code_challenge=" + challenge + "&code_challenge_method=s256", oauth.InvalidRequest, nil},
		{"code_challenge_method without a challenge", base + "code_challenge_method=S256", oauth.InvalidRequest, nil},
		{"the first problem is reported", "response_type=token&client_id=web&request=x&prompt=bogus", oauth.RequestNotSupported, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := parseGet(t, tc.query)
			switch {
			case tc.want == "" && req.Problem != nil:
				t.Errorf("Problem %v, want none", req.Problem)
			case tc.want != "" && (req.Problem == nil || req.Problem.Code != tc.want):
				t.Errorf("Problem %v, want %s", req.Problem, tc.want)
			case req.Problem != nil && req.Problem.Description == "":
				t.Errorf("Problem %v has no description", req.Problem)
			}
			if tc.check != nil && !tc.check(req) {
				t.Errorf("request %+v", req)
			}
		})
	}
}

// A request that cannot be read at all is an error for the error page,
// with the status that says why.
func TestParseRefuses(t *testing.T) {
	t.Parallel()
	big := "client_id=web&state=" + strings.Repeat("a", MaxRequestBytes)
	json := post(`{"client_id":"web"}`)
	json.Header.Set("Content-Type", "application/json")
	tests := []struct {
		name   string
		r      *http.Request
		status int
	}{
		{"PUT", httptest.NewRequest(http.MethodPut, "/connect/authorize?client_id=web", nil), http.StatusMethodNotAllowed},
		{"a query over the bound", get(big), http.StatusRequestURITooLong},
		{"a body over the bound", post(big), http.StatusRequestEntityTooLarge},
		{"a POST of JSON", json, http.StatusUnsupportedMediaType},
		{"a bad escape", get("client_id=web&state=%zz"), http.StatusBadRequest},
		{"a semicolon", get("client_id=web;state=x"), http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := Parse(tc.r)
			var pe *PageError
			if req != nil || !errors.As(err, &pe) {
				t.Fatalf("Parse: %+v, %v; want a PageError", req, err)
			}
			if pe.Err.Status != tc.status || pe.Err.Code != oauth.InvalidRequest || pe.Err.Description == "" {
				t.Errorf("PageError %+v, want status %d", pe.Err, tc.status)
			}
		})
	}
	// Just under the bound is read.
	ok := "client_id=web&state=" + strings.Repeat("a", MaxRequestBytes-len("client_id=web&state="))
	for _, r := range []*http.Request{get(ok), post(ok)} {
		if req, err := Parse(r); err != nil || req.ClientID != "web" {
			t.Errorf("%s of %d bytes: %v", r.Method, len(ok), err)
		}
	}
}

// A POST is read from its form alone: parameters in its URL do not mix in.
func TestParsePostReadsTheFormOnly(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "https://id.example.com/connect/authorize?client_id=evil&state=q", strings.NewReader("client_id=web&response_type=code"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	req, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if req.ClientID != "web" || req.State != "" || req.Problem != nil {
		t.Errorf("request %+v", req)
	}
}
