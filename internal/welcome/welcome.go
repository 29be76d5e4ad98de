package welcome

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/expiry"
	"github.com/signetid/signet/internal/signing"
)

// Path is the welcome page's.
const Path = "/"

// Keys are the keys shown (signing.Ring).
type Keys interface {
	// Signer is the key tokens are signed with now.
	Signer() *signing.Key
	// Published are the keys in the JWKS.
	Published() []*signing.Key
}

// Options are what the page shows.
type Options struct {
	Keys Keys
	// ExpiryWarning (keyExpiryWarning) puts a notice on the page for a
	// published certificate that expires within it, or has expired; Now
	// is the clock (nil: time.Now).
	ExpiryWarning time.Duration
	Now           func() time.Time
	// Version is the server's.
	Version string
	// Development, when set, puts the development notice on the page with
	// how to get a token.
	Development *Development
}

// Development describes the development mode for the page.
type Development struct {
	ClientID   string
	Scope      string
	SecretFile string
	DataDir    string

	// SignIn, when set, is how a person signs in with the development
	// client (issue 14): the page links to the authorize URL, and
	// CallbackPath (/dev/callback) shows the code it receives with the
	// curl that exchanges it.
	SignIn *DevelopmentSignIn
}

// Endpoint is the welcome page.
type Endpoint struct {
	opts Options
	page *template.Template
	// endpoints are the names and paths of the mounted endpoints, in the
	// page's order; tokenPath is the token endpoint's, "" when none is
	// mounted.
	endpoints []link
	tokenPath string
	// authorizePath is the authorization endpoint's, "" when none is
	// mounted (DefaultAuthorizePath is used then).
	authorizePath string
	callbackPage  *template.Template
}

type link struct{ Name, Path string }

var _ endpoint.Directory = (*Endpoint)(nil)

//go:embed templates
var templates embed.FS

var templateFuncs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02")
	},
}

// New makes the page.
func New(opts Options) *Endpoint {
	return &Endpoint{
		opts:         opts,
		page:         template.Must(template.New("welcome.html").Funcs(templateFuncs).ParseFS(templates, "templates/welcome.html")),
		callbackPage: template.Must(template.New("callback.html").ParseFS(templates, "templates/callback.html")),
	}
}

// Routes is the page, for people: Kind Page; in development mode with a
// sign-in, the callback page and its stylesheet too.
func (e *Endpoint) Routes() []endpoint.Route {
	routes := []endpoint.Route{{Method: http.MethodGet, Path: Path, Handler: http.HandlerFunc(e.serve), Kind: endpoint.Page}}
	if d := e.opts.Development; d != nil && d.SignIn != nil {
		routes = append(routes,
			endpoint.Route{Method: http.MethodGet, Path: CallbackPath, Handler: http.HandlerFunc(e.callback), Kind: endpoint.Page},
			endpoint.Route{Method: http.MethodGet, Path: StylePath, Handler: http.HandlerFunc(serveStyle), Kind: endpoint.Page})
	}
	return routes
}

// Describe adds nothing: the page is not in the discovery document.
func (e *Endpoint) Describe(*endpoint.Metadata) {}

// names are the page's names of endpoints by their metadata name; others
// are shown by their metadata name.
var names = map[string]string{
	"jwks_uri":       "JWKS",
	"token_endpoint": "Token",
}

// SetMetadata takes the endpoints to list: the discovery document first,
// then the others by metadata name.
func (e *Endpoint) SetMetadata(m endpoint.Metadata) {
	e.endpoints = nil
	if m.DiscoveryPath != "" {
		e.endpoints = append(e.endpoints, link{"Discovery", m.DiscoveryPath})
	}
	keys := make([]string, 0, len(m.Paths))
	for k := range m.Paths {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := names[k]
		if name == "" {
			name = k
		}
		e.endpoints = append(e.endpoints, link{name, m.Paths[k]})
	}
	e.tokenPath = m.Paths["token_endpoint"]
	e.authorizePath = m.Paths["authorization_endpoint"]
}

type welcomeKey struct {
	ID, Algorithm, Subject, Role, Source string
	Thumbprint                           string
	Expires                              time.Time
	// Expiry is expiry.Expiring or expiry.Expired, else "".
	Expiry string
}

type welcomePage struct {
	Issuer      string
	Version     string
	Endpoints   []struct{ Name, URL string }
	Keys        []welcomeKey
	Development *Development
	Curl        string
	// SignInURL is the development sign-in's authorize URL.
	SignInURL string
}

func (e *Endpoint) serve(w http.ResponseWriter, r *http.Request) {
	issuer := endpoint.Issuer(r.Context())
	base := strings.TrimSuffix(issuer, "/")
	p := welcomePage{Issuer: issuer, Version: e.opts.Version, Development: e.opts.Development}
	for _, l := range e.endpoints {
		p.Endpoints = append(p.Endpoints, struct{ Name, URL string }{l.Name, base + l.Path})
	}
	if k := e.opts.Keys; k != nil {
		now := time.Now()
		if e.opts.Now != nil {
			now = e.opts.Now()
		}
		signer := k.Signer()
		for _, key := range k.Published() {
			role := "published"
			switch {
			case key == signer:
				role = "signing"
			case key.Validation:
				role = "validation"
			}
			wk := welcomeKey{ID: key.ID, Algorithm: key.Algorithm, Subject: key.Subject(), Role: role, Source: key.Source, Expires: key.NotAfter()}
			wk.Expiry, _ = expiry.Of(key, now, e.opts.ExpiryWarning)
			if key.Certificate != nil {
				wk.Thumbprint = key.ID
			}
			p.Keys = append(p.Keys, wk)
		}
	}
	if d := e.opts.Development; d != nil && e.tokenPath != "" {
		p.Curl = DevelopmentCurl(base+e.tokenPath, d)
	}
	if d := e.opts.Development; d != nil && d.SignIn != nil {
		p.SignInURL = d.AuthorizeURL(d.SignIn.baseFor(base), e.authorize())
	}
	renderPage(w, e.page, p, "welcome", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
}

// renderPage writes the page t renders from data, with the content
// security policy csp, uncached and with no referrer; or a 500 saying
// which page (what) failed, rather than half a page, when it fails.
func renderPage(w http.ResponseWriter, t *template.Template, data any, what, csp string) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "the "+what+" page failed to render", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// DevelopmentCurl is the command that gets a token from the token endpoint
// at tokenURL of a development server. It reads the secret from its file
// rather than showing it, so that the secret is in no log and on no page.
// Every value in it is quoted for a POSIX shell: the URL comes from the
// request's Host in development mode, and an IPv6 literal's brackets are a
// glob pattern to the shell (zsh refuses the command when nothing matches).
func DevelopmentCurl(tokenURL string, d *Development) string {
	return "curl -s -u " + shellQuote(d.ClientID) + `:"$(cat ` + shellQuote(d.SecretFile) + `)" -d grant_type=client_credentials -d scope=` + shellQuote(d.Scope) + " " + shellQuote(tokenURL)
}

// shellQuote returns s as one word of a POSIX shell: as it is when it holds
// only characters no shell gives a meaning to, else in single quotes, in
// which nothing is special but the quote itself: each is written as a
// closing quote, an escaped quote and an opening quote.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
