package signin

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/signetid/signet/internal/endpoint"
)

//go:embed templates/*.html
var embedded embed.FS

//go:embed static/signet.css
var stylesheet []byte

//go:embed static/passkey.js
var passkeyScript []byte

// templateNames are the templates an operator may replace (UI.TemplatesDir).
var templateNames = []string{"layout.html", "login.html", "consent.html", "logout.html", "loggedout.html", "error.html",
	"account.html", "mfa.html", "totp.html", "recovery.html"}

// partials are templates that pages call ({{template "account-passkeys"}}):
// parsed into every page's set, and replaceable as the pages are.
var partials = []string{"account_passkeys.html", "account_links.html", "account_reauth.html", "login_passkey.html", "login_providers.html"}

// pageCSP is the pages' Content-Security-Policy: nothing runs, styles and
// images come from Signet (and images from https, for logos), and no other
// site may frame them (clickjacking). There is no form-action: after the
// login and consent forms the browser is redirected to the client, which
// form-action would block in browsers that apply it to redirects.
const pageCSP = "default-src 'none'; style-src 'self'; img-src 'self' https:; base-uri 'none'; frame-ancestors 'none'"

// scriptPageCSP is the CSP of a page with Signet's own scripts (the
// passkey ceremonies): pageCSP, plus scripts and fetches from Signet only,
// nothing inline.
const scriptPageCSP = pageCSP + "; script-src 'self'; connect-src 'self'"

// Layout is what every template gets (embedded in each page's data).
type Layout struct {
	// ProductName is UI.ProductName, or "Signet".
	ProductName string
	// Title is the page's title.
	Title string
	// LogoURL is the operator's logo, "" for none.
	LogoURL string
	// Stylesheets are the URLs of the stylesheets, Signet's first.
	Stylesheets []string
	// Scripts are the URLs of the page's scripts (Signet's own), none for
	// most pages.
	Scripts []string
	// Wide asks for a wider card (the account page).
	Wide bool
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

type pages struct {
	layout Layout
	sets   map[string]*template.Template
	assets map[string]asset
	// scripts maps a script's path to its versioned URL.
	scripts map[string]string
}

func newAsset(body []byte, contentType string) asset {
	sum := sha256.Sum256(body)
	return asset{body: body, contentType: contentType, etag: hex.EncodeToString(sum[:8])}
}

var imageTypes = map[string]string{
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".webp": "image/webp", ".ico": "image/x-icon",
}

func newPages(ui UI) (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}, assets: map[string]asset{}}
	p.layout.ProductName = ui.ProductName
	if p.layout.ProductName == "" {
		p.layout.ProductName = "Signet"
	}
	css := newAsset(stylesheet, "text/css; charset=utf-8")
	p.assets[StylesheetPath] = css
	p.layout.Stylesheets = []string{StylesheetPath + "?v=" + css.etag}
	js := newAsset(passkeyScript, "text/javascript; charset=utf-8")
	p.assets[PasskeyScriptPath] = js
	p.scripts = map[string]string{PasskeyScriptPath: PasskeyScriptPath + "?v=" + js.etag}
	if ui.Stylesheet != "" {
		b, err := os.ReadFile(ui.Stylesheet)
		if err != nil {
			return nil, fmt.Errorf("signin: read ui.stylesheet: %w", err)
		}
		a := newAsset(b, "text/css; charset=utf-8")
		p.assets[CustomStylesheetPath] = a
		p.layout.Stylesheets = append(p.layout.Stylesheets, CustomStylesheetPath+"?v="+a.etag)
	}
	switch {
	case ui.Logo == "":
	case strings.HasPrefix(ui.Logo, "https://"):
		p.layout.LogoURL = ui.Logo
	case strings.Contains(ui.Logo, "://"):
		return nil, fmt.Errorf("signin: ui.logo %q: a URL must be https (the pages' Content-Security-Policy loads images from https only); or give the path of an image file", ui.Logo)
	default:
		ct := imageTypes[strings.ToLower(filepath.Ext(ui.Logo))]
		if ct == "" {
			return nil, fmt.Errorf("signin: ui.logo %q: not an image file Signet serves (.svg, .png, .jpg, .jpeg, .gif, .webp, .ico)", ui.Logo)
		}
		b, err := os.ReadFile(ui.Logo)
		if err != nil {
			return nil, fmt.Errorf("signin: read ui.logo: %w", err)
		}
		a := newAsset(b, ct)
		p.assets[LogoPath] = a
		p.layout.LogoURL = LogoPath + "?v=" + a.etag
	}
	funcs := template.FuncMap{
		"clock": func(t time.Time) string { return t.UTC().Format("15:04 MST") },
		"date":  func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 MST") },
	}
	read := func(name string) (string, error) {
		if ui.TemplatesDir != "" {
			b, err := os.ReadFile(filepath.Join(ui.TemplatesDir, name))
			switch {
			case err == nil:
				return string(b), nil
			case !errors.Is(err, fs.ErrNotExist):
				return "", fmt.Errorf("signin: read template %s of ui.templatesDir: %w", name, err)
			}
		}
		b, err := embedded.ReadFile("templates/" + name)
		return string(b), err
	}
	layout, err := read("layout.html")
	if err != nil {
		return nil, err
	}
	for _, name := range templateNames[1:] {
		text, err := read(name)
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout.html").Funcs(funcs).Parse(layout)
		if err != nil {
			return nil, fmt.Errorf("signin: template layout.html: %w", err)
		}
		if _, err := t.New(name).Parse(text); err != nil {
			return nil, fmt.Errorf("signin: template %s: %w", name, err)
		}
		for _, part := range partials {
			text, err := read(part)
			if err != nil {
				return nil, err
			}
			if _, err := t.New(part).Parse(text); err != nil {
				return nil, fmt.Errorf("signin: template %s: %w", part, err)
			}
		}
		p.sets[name] = t
	}
	return p, nil
}

// setPageHeaders sets the headers of every page.
func setPageHeaders(h http.Header, csp string) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

// render writes the page name with data, whose Layout it fills in.
func (e *Endpoint) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data interface{ layout() *Layout }) {
	l := data.layout()
	wide := l.Wide
	*l = e.pages.layout
	l.Wide = wide
	l.Title = title
	csp := pageCSP
	if s, ok := data.(interface{ scripts() []string }); ok {
		for _, path := range s.scripts() {
			l.Scripts = append(l.Scripts, e.pages.scripts[path])
		}
		if len(l.Scripts) > 0 {
			csp = scriptPageCSP
		}
	}
	var buf bytes.Buffer
	if err := e.pages.sets[name].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		e.log.ErrorContext(r.Context(), "signin: render "+name, "error", err.Error())
		setPageHeaders(w.Header(), pageCSP)
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("<!doctype html><title>Error</title><p>The page could not be shown."))
		return
	}
	setPageHeaders(w.Header(), csp)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

func (l *Layout) layout() *Layout { return l }

// ErrorView is the data of error.html.
type ErrorView struct {
	Layout
	// Heading and Message say what went wrong and what to do.
	Heading, Message string
	// Detail is the technical reason, for the application's developers
	// (an OAuth error_description), "" for none.
	Detail string
	// RequestID is the request's id, for the administrator's logs.
	RequestID string
}

func (e *Endpoint) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	e.render(w, r, status, "error.html", heading, &ErrorView{Heading: heading, Message: message, RequestID: endpoint.RequestID(r.Context())})
}

// applicationError shows the error page for a request the application got
// wrong: what to do for the person, the reason for its developers apart.
func (e *Endpoint) applicationError(w http.ResponseWriter, r *http.Request, status int, heading, detail string) {
	e.render(w, r, status, "error.html", heading, &ErrorView{
		Heading:   heading,
		Message:   "This is a problem of the application that sent you here, not of your account. Tell its developers what the details below say.",
		Detail:    detail,
		RequestID: endpoint.RequestID(r.Context()),
	})
}

// serveAsset serves the stylesheet or logo at path: cached for a year when
// asked for with its version (the links carry it), else revalidated by
// ETag.
func (p *pages) serveAsset(path string) http.HandlerFunc {
	a, ok := p.assets[path]
	return func(w http.ResponseWriter, r *http.Request) {
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", `"`+a.etag+`"`)
		if r.URL.Query().Get("v") == a.etag {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, `"`+a.etag+`"`) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if a.contentType == "image/svg+xml" {
			// An SVG opened on its own could run script; it is only an image.
			h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
		}
		if r.Method != http.MethodHead {
			_, _ = w.Write(a.body)
		}
	}
}
