package authorize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/pkce"
)

// MaxRequestBytes bounds the query of a GET and the body of a POST: a
// request with a claims parameter is a few kilobytes, and nothing
// legitimate comes near this.
const MaxRequestBytes = 64 << 10

// Response modes (OAuth 2.0 Multiple Response Type Encoding Practices,
// OAuth 2.0 Form Post Response Mode).
const (
	ModeQuery    = "query"
	ModeFormPost = "form_post"
)

// Code challenge methods (RFC 7636 §4.2).
const (
	MethodS256  = pkce.S256
	MethodPlain = pkce.Plain
)

// parameters are the ones this package reads: each may be sent once (RFC
// 6749 §3.1). Others are ignored, as OpenID Connect Core §3.1.2.1 says,
// and may repeat.
var parameters = []string{
	"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
	"response_mode", "code_challenge", "code_challenge_method", "prompt",
	"max_age", "login_hint", "id_token_hint", "ui_locales", "claims_locales",
	"acr_values", "display", "claims", "request", "request_uri", "domain_hint",
}

// Prompt is the prompt parameter (OpenID Connect Core §3.1.2.1).
type Prompt struct {
	// None: show no page; fail with login_required or consent_required
	// when one would be needed. Never with another value.
	None bool
	// Login: sign the user in again, even with a session.
	Login bool
	// Consent: ask for consent, even when it is remembered.
	Consent bool
	// SelectAccount: accepted because clients send it; Signet has one
	// account per session, so the endpoint may treat it as Login.
	SelectAccount bool
}

// Request is an authorization request. Parse fills in what the request
// says; Validate checks it against the client and fills in the rest. An
// empty parameter counts as absent.
type Request struct {
	ResponseType string
	ClientID     string
	// RedirectURI is the redirect_uri as sent; after Validate, the one to
	// answer at (the client's only one when none was sent).
	RedirectURI string
	Scope       string
	State       string
	Nonce       string
	// ResponseMode is ModeQuery (also when none was sent) or ModeFormPost.
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              Prompt
	// MaxAge is max_age in seconds, when HasMaxAge; 0 asks for a new
	// login as prompt=login does.
	MaxAge    time.Duration
	HasMaxAge bool
	LoginHint string
	// IDTokenHint is the ID token as sent, not yet verified.
	IDTokenHint   string
	UILocales     string
	ClaimsLocales string
	ACRValues     string
	// DomainHint is Microsoft's domain_hint, passed on to an Entra ID
	// provider (issue 16); not an OpenID Connect parameter.
	DomainHint string
	// Display is page, popup, touch or wap; "" when none or another value
	// was sent (ignored, as IdentityServer does).
	Display string
	// Claims is the claims parameter when it is a JSON object, else nil:
	// it is accepted and never an error (claims_parameter_supported is
	// false, so a client cannot count on it).
	Claims json.RawMessage

	// Problem is the first thing wrong with the request that does not
	// depend on the client: Validate sends it to the client's redirect
	// URI once the client and the URI check out.
	Problem *oauth.Error

	// Set by Validate.
	Client *client.Client
	// RedirectURISent says the request carried redirect_uri: the token
	// request must then carry the same (RFC 6749 §4.1.3).
	RedirectURISent bool
	// Scopes are the requested scopes, each once, in the order sent.
	Scopes []string
	// OpenID says the request is an OpenID Connect one (scope openid);
	// without it, it is plain OAuth 2.0.
	OpenID bool

	// repeated are the known parameters sent more than once.
	repeated []string
}

// PageError is an error for Signet's error page: the client or the
// redirect URI is not known to be genuine, so nothing may be sent to the
// redirect URI (RFC 6749 §4.1.2.1; RFC 9700 §4.11 on open redirectors).
type PageError struct {
	Err *oauth.Error
}

func (e *PageError) Error() string { return e.Err.Error() }
func (e *PageError) Unwrap() error { return e.Err }

func pageErrorf(status int, code, format string, args ...any) *PageError {
	return &PageError{Err: &oauth.Error{Code: code, Description: fmt.Sprintf(format, args...), Status: status}}
}

// Parse reads an authorization request: a GET (or HEAD) with the
// parameters in the query, or a POST of an
// application/x-www-form-urlencoded form (OpenID Connect Core §3.1.2.1;
// a POST's query is not read), either at most MaxRequestBytes. Its only error is a *PageError, for a
// request that cannot be read at all; anything else wrong is the
// Request's Problem.
func Parse(r *http.Request) (*Request, error) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if len(r.URL.RawQuery) > MaxRequestBytes {
			return nil, pageErrorf(http.StatusRequestURITooLong, oauth.InvalidRequest, "the query is over %d KiB", MaxRequestBytes>>10)
		}
		return parse(r.URL.RawQuery)
	case http.MethodPost:
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, pageErrorf(http.StatusUnsupportedMediaType, oauth.InvalidRequest,
				"a POST to the authorization endpoint must have Content-Type application/x-www-form-urlencoded, not %q", logattr.Cut(r.Header.Get("Content-Type")))
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
		if err != nil {
			return nil, pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "the request body could not be read")
		}
		if len(body) > MaxRequestBytes {
			return nil, pageErrorf(http.StatusRequestEntityTooLarge, oauth.InvalidRequest, "the request body is over %d KiB", MaxRequestBytes>>10)
		}
		return parse(string(body))
	}
	return nil, pageErrorf(http.StatusMethodNotAllowed, oauth.InvalidRequest, "the authorization endpoint takes GET and POST requests, not %s", logattr.Cut(r.Method))
}

// parse is Parse without the HTTP plumbing, for fuzzing.
func parse(raw string) (*Request, error) {
	form, err := url.ParseQuery(raw)
	if err != nil {
		return nil, pageErrorf(http.StatusBadRequest, oauth.InvalidRequest, "the request's parameters are malformed: %s", logattr.Cut(err.Error()))
	}
	req := &Request{ResponseMode: ModeQuery}
	// get returns the parameter's one value; a repeated one reads as
	// absent (which of the values was meant is not known).
	get := func(name string) string {
		v := form[name]
		if len(v) != 1 {
			return ""
		}
		return v[0]
	}
	for _, name := range parameters {
		if len(form[name]) > 1 {
			req.repeated = append(req.repeated, name)
		}
	}
	// The parameters kept as they are sent; the others are checked below.
	for name, field := range map[string]*string{
		"response_type": &req.ResponseType, "client_id": &req.ClientID, "redirect_uri": &req.RedirectURI,
		"scope": &req.Scope, "state": &req.State, "nonce": &req.Nonce,
		"code_challenge": &req.CodeChallenge, "code_challenge_method": &req.CodeChallengeMethod,
		"login_hint": &req.LoginHint, "id_token_hint": &req.IDTokenHint, "ui_locales": &req.UILocales,
		"claims_locales": &req.ClaimsLocales, "acr_values": &req.ACRValues, "domain_hint": &req.DomainHint,
	} {
		*field = get(name)
	}
	switch d := get("display"); d {
	case "page", "popup", "touch", "wap":
		req.Display = d
	}
	if c := []byte(strings.TrimSpace(get("claims"))); len(c) > 0 && c[0] == '{' && json.Valid(c) {
		req.Claims = json.RawMessage(bytes.Clone(c))
	}

	// The first problem found is the one reported; the order is the
	// order of these checks.
	problem := func(code, format string, args ...any) {
		if req.Problem == nil {
			req.Problem = oauth.Errorf(code, format, args...)
		}
	}
	if len(req.repeated) > 0 {
		problem(oauth.InvalidRequest, "parameter %q is repeated; each parameter may be sent once (RFC 6749 section 3.1)", req.repeated[0])
	}
	if get("request") != "" {
		problem(oauth.RequestNotSupported, "request objects (the request parameter) are not supported; send the parameters in the query or form (request_parameter_supported is false)")
	}
	if get("request_uri") != "" {
		problem(oauth.RequestURINotSupported, "request_uri is not supported; send the parameters in the query or form (request_uri_parameter_supported is false)")
	}
	switch m := get("response_mode"); m {
	case "", ModeQuery:
	case ModeFormPost:
		req.ResponseMode = ModeFormPost
	default:
		problem(oauth.InvalidRequest, "response_mode %q is not supported; use query (the default) or form_post", logattr.Cut(m))
	}
	checkResponseType(req.ResponseType, form["response_type"], problem)
	if p, ok := parsePrompt(get("prompt"), problem); ok {
		req.Prompt = p
	}
	if s := get("max_age"); s != "" {
		d, ok := parseMaxAge(s)
		if !ok {
			problem(oauth.InvalidRequest, "max_age %q is not a number of seconds (a non-negative integer)", logattr.Cut(s))
		} else {
			req.MaxAge, req.HasMaxAge = d, true
		}
	}
	if req.CodeChallenge != "" && !validChallenge(req.CodeChallenge) {
		problem(oauth.InvalidRequest, "code_challenge must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~' (RFC 7636 section 4.2)")
	}
	switch m := req.CodeChallengeMethod; {
	case m == "":
	case req.CodeChallenge == "":
		problem(oauth.InvalidRequest, "code_challenge_method is sent without a code_challenge")
	case m != MethodS256 && m != MethodPlain:
		problem(oauth.InvalidRequest, "code_challenge_method %q is not supported; use S256 (RFC 7636 section 4.3)", logattr.Cut(m))
	}
	return req, nil
}

// checkResponseType accepts code alone: implicit and hybrid flows are not
// offered (RFC 9700 §2.1.2).
func checkResponseType(rt string, sent []string, problem func(code, format string, args ...any)) {
	switch {
	case len(sent) > 1: // reported as repeated
	case rt == "":
		problem(oauth.InvalidRequest, "response_type is missing; use response_type=code")
	case rt != "code":
		problem(oauth.UnsupportedResponseType, "response_type %q is not supported; only code is (the implicit and hybrid flows are not offered)", logattr.Cut(rt))
	}
}

func parsePrompt(s string, problem func(code, format string, args ...any)) (Prompt, bool) {
	var p Prompt
	values := strings.Fields(s)
	for _, v := range values {
		switch v {
		case "none":
			p.None = true
		case "login":
			p.Login = true
		case "consent":
			p.Consent = true
		case "select_account":
			p.SelectAccount = true
		default:
			problem(oauth.InvalidRequest, "prompt %q is not supported; use none, login, consent or select_account", logattr.Cut(v))
			return Prompt{}, false
		}
	}
	if p.None && (p.Login || p.Consent || p.SelectAccount) {
		problem(oauth.InvalidRequest, "prompt none cannot be combined with another value (OpenID Connect Core section 3.1.2.1)")
		return Prompt{}, false
	}
	return p, true
}

// maxAgeSeconds is the largest max_age kept as it is; a larger one (over
// 290 years) means the same and is cut to it, so that it fits a Duration.
const maxAgeSeconds = math.MaxInt64 / int64(time.Second)

func parseMaxAge(s string) (time.Duration, bool) {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > maxAgeSeconds {
		// Only digits, so the error is a range one: a huge age.
		n = maxAgeSeconds
	}
	return time.Duration(n) * time.Second, true
}

// validChallenge applies RFC 7636 §4.2: 43 to 128 unreserved characters.
func validChallenge(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}
