package welcome

import (
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/signetid/signet/internal/endpoint"
)

// The development sign-in's paths.
const (
	// CallbackPath is the development client's redirect URI's path: a page
	// that shows the code it receives and the curl that exchanges it.
	CallbackPath = "/dev/callback"
	// StylePath is the callback page's stylesheet: a file, so that the
	// page's Content-Security-Policy allows no inline style.
	StylePath = "/dev/style.css"
	// DefaultAuthorizePath is IdentityServer's authorization endpoint,
	// used when the mounted endpoints did not describe one.
	DefaultAuthorizePath = "/connect/authorize"
)

// DevelopmentSignIn is how a person signs in with the development client:
// the authorization code flow with PKCE, to a redirect URI on this server
// (CallbackPath) whose page shows the code and how to exchange it.
type DevelopmentSignIn struct {
	// Username is the development user's; PasswordFile holds their
	// password (never shown: the page and the log say where it is).
	Username     string
	PasswordFile string
	// Bases are the base URLs (http://localhost:5000) whose CallbackPath
	// is registered as the development client's redirect URI, the first
	// the one serve prints: a request that came to another base (a LAN
	// name) is sent the first one's URL.
	Bases []string
	// Scope is what the authorize URL asks for (openid profile email
	// offline_access and the development API scope).
	Scope string
	// State is the authorize URL's state, so that the callback page tells
	// a response to it from another.
	State string
	// CodeVerifier is the PKCE code_verifier (RFC 7636) the authorize URL's
	// code_challenge is made from (S256): made at startup, kept in memory
	// only, so that the callback page can put it in the curl.
	CodeVerifier string
}

// RedirectURI is the callback's URL at base.
func (s *DevelopmentSignIn) RedirectURI(base string) string {
	return strings.TrimSuffix(base, "/") + CallbackPath
}

// RedirectURIs are the development client's redirect URIs: the callback at
// every base.
func (s *DevelopmentSignIn) RedirectURIs() []string {
	out := make([]string, len(s.Bases))
	for i, b := range s.Bases {
		out[i] = s.RedirectURI(b)
	}
	return out
}

// CodeChallenge is the S256 code_challenge of CodeVerifier.
func (s *DevelopmentSignIn) CodeChallenge() string {
	sum := sha256.Sum256([]byte(s.CodeVerifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthorizeURL is the URL that starts the development sign-in at the
// authorization endpoint at base+authorizePath (DefaultAuthorizePath when
// empty), with the redirect URI at the same base: what serve prints and
// the pages link to. d.SignIn must be set.
func (d *Development) AuthorizeURL(base, authorizePath string) string {
	if authorizePath == "" {
		authorizePath = DefaultAuthorizePath
	}
	s := d.SignIn
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {d.ClientID},
		"redirect_uri":          {s.RedirectURI(base)},
		"scope":                 {s.Scope},
		"state":                 {s.State},
		"code_challenge":        {s.CodeChallenge()},
		"code_challenge_method": {"S256"},
	}
	return strings.TrimSuffix(base, "/") + authorizePath + "?" + q.Encode()
}

// baseFor is base when its callback is registered, else the first base.
func (s *DevelopmentSignIn) baseFor(base string) string {
	if slices.Contains(s.Bases, strings.TrimSuffix(base, "/")) || len(s.Bases) == 0 {
		return base
	}
	return s.Bases[0]
}

// ExchangeCurl is the command that exchanges code at tokenURL: the
// development client's secret read from its file, the redirect URI the
// code was sent to, and the code_verifier of the printed authorize URL.
// Every value is quoted for a POSIX shell, as DevelopmentCurl's.
func ExchangeCurl(tokenURL, redirectURI, code string, d *Development) string {
	return "curl -s -u " + shellQuote(d.ClientID) + `:"$(cat ` + shellQuote(d.SecretFile) + `)"` +
		" -d grant_type=authorization_code" +
		" --data-urlencode " + shellQuote("code="+code) +
		" --data-urlencode " + shellQuote("redirect_uri="+redirectURI) +
		" -d code_verifier=" + shellQuote(d.SignIn.CodeVerifier) +
		" " + shellQuote(tokenURL)
}

type callbackPage struct {
	Code, State, Error, ErrorDescription, Issuer string
	// StateMatches: the response carries the printed URL's state, so the
	// verifier shown is the one its code_challenge was made from.
	StateMatches bool
	Curl         string
	SignInURL    string
	Username     string
	PasswordFile string
	Style        string
}

// callback shows what the authorization endpoint sent the development
// client: the code (and state, iss) and the curl that exchanges it, or the
// error. The code is shown to the person who signed in, on their own
// development server: that is the point of the page.
func (e *Endpoint) callback(w http.ResponseWriter, r *http.Request) {
	d := e.opts.Development
	base := strings.TrimSuffix(endpoint.Issuer(r.Context()), "/")
	q := r.URL.Query()
	p := callbackPage{
		Code: q.Get("code"), State: q.Get("state"), Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
		Issuer: q.Get("iss"), Username: d.SignIn.Username, PasswordFile: d.SignIn.PasswordFile, Style: StylePath,
		SignInURL: d.AuthorizeURL(d.SignIn.baseFor(base), e.authorize()),
	}
	p.StateMatches = subtle.ConstantTimeCompare([]byte(p.State), []byte(d.SignIn.State)) == 1
	if p.Code != "" {
		tokenPath := e.tokenPath
		if tokenPath == "" {
			tokenPath = "/connect/token"
		}
		// The browser came back to this base: the code was issued for
		// the redirect URI at it.
		p.Curl = ExchangeCurl(base+tokenPath, d.SignIn.RedirectURI(base), p.Code, d)
	}
	renderPage(w, e.callbackPage, p, "callback", "default-src 'none'; style-src 'self'; frame-ancestors 'none'; form-action 'none'; base-uri 'none'")
}

// authorize is the authorization endpoint's path.
func (e *Endpoint) authorize() string {
	if e.authorizePath != "" {
		return e.authorizePath
	}
	return DefaultAuthorizePath
}

//go:embed templates/style.css
var style []byte

func serveStyle(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(style)
}
