package server

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/signing"
)

// Paths, as IdentityServer has them.
const (
	PathDiscovery = "/.well-known/openid-configuration"
	// PathOAuthMetadata serves the same document for RFC 8414 clients.
	PathOAuthMetadata = "/.well-known/oauth-authorization-server"
	PathJWKS          = "/.well-known/openid-configuration/jwks"
	PathToken         = "/connect/token"
)

// Options are what a server is made of.
type Options struct {
	// Issuer is fixed when set; otherwise it is derived from each request.
	Issuer string
	// TrustProxy honours X-Forwarded-Proto and X-Forwarded-Host.
	TrustProxy bool
	// HSTS, when set, is sent on the responses to requests that came over
	// https (with TrustProxy, an X-Forwarded-Proto of https counts), never
	// over plain http.
	HSTS *HSTS
	// Ring holds the keys.
	Ring *signing.Ring
	// Token is the token endpoint.
	Token http.Handler
	// TokenOrigin, when set, reports whether a browser origin may call the
	// token endpoint (a client's AllowedCorsOrigins).
	TokenOrigin func(origin string) bool
	// Discovery lists what the token endpoint supports.
	Discovery DiscoveryInfo
	// Scopes, when set, gives the scopes now and a version that changes
	// with them (scopes added through the database), instead of
	// Discovery.Scopes.
	Scopes func() ([]string, int64)
	// Ready reports whether dependencies (storage) are reachable. The
	// error is logged; /readyz shows the Reason of a *NotReadyError, and
	// "storage unreachable" for any other (so that no connection detail
	// reaches an unauthenticated caller).
	Ready  func(context.Context) error
	Logger *slog.Logger
	// Version is shown on the welcome page.
	Version string
	// Development, when set, puts the development notice on the welcome
	// page with how to get a token.
	Development *Development
	Now         func() time.Time
}

// DiscoveryInfo is what the discovery document advertises beyond paths.
type DiscoveryInfo struct {
	GrantTypes      []string
	Scopes          []string
	AuthMethods     []string
	AuthSigningAlgs []string
	Claims          []string
	// SigningAlgs are the algorithms tokens are signed with when there is
	// no Ring; with one, the ring's signing keys say.
	SigningAlgs []string
}

// HSTS is a Strict-Transport-Security policy (RFC 6797). As ASP.NET
// Core's UseHsts, it is not sent to localhost, 127.0.0.1 and [::1]: a
// browser would apply it to every local development server.
type HSTS struct {
	// MaxAge is sent in whole seconds; 0 tells browsers to forget the
	// policy.
	MaxAge            time.Duration
	IncludeSubDomains bool
	Preload           bool
}

// Header is the header's value.
func (h HSTS) Header() string {
	v := "max-age=" + strconv.FormatInt(int64(h.MaxAge/time.Second), 10)
	if h.IncludeSubDomains {
		v += "; includeSubDomains"
	}
	if h.Preload {
		v += "; preload"
	}
	return v
}

// Development describes the development mode for the welcome page.
type Development struct {
	ClientID   string
	Scope      string
	SecretFile string
	DataDir    string
}

// Server is the HTTP handler of a token service.
type Server struct {
	opts      Options
	mux       *http.ServeMux
	discovery *discoveryCache
	jwks      atomic.Pointer[encoded]
	// issuersHTTP and issuersHTTPS map a valid Host (or X-Forwarded-Host)
	// to its issuer when none is configured; issuersCached bounds them.
	issuersHTTP, issuersHTTPS sync.Map
	issuersCached             atomic.Int32
	// hsts is the Strict-Transport-Security header's value, built once;
	// nil for none.
	hsts []string
	// getDiscovery and getJWKS are the routes' handlers, for hot.
	getDiscovery, getJWKS http.HandlerFunc
	// token is the token endpoint with the CORS of its clients' origins.
	token   http.HandlerFunc
	welcome *template.Template
	started time.Time
}

//go:embed templates
var templates embed.FS

// New builds the server.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:      opts,
		mux:       http.NewServeMux(),
		discovery: newDiscoveryCache(opts.Discovery),
		welcome:   template.Must(template.New("welcome.html").Funcs(templateFuncs).ParseFS(templates, "templates/welcome.html")),
		started:   opts.Now(),
	}
	if opts.HSTS != nil {
		s.hsts = []string{opts.HSTS.Header()}
	}
	s.getDiscovery, s.getJWKS = s.cors(s.serveDiscovery), s.cors(s.serveJWKS)
	s.mux.HandleFunc("GET "+PathDiscovery, s.getDiscovery)
	s.mux.HandleFunc("OPTIONS "+PathDiscovery, s.cors(nil))
	s.mux.HandleFunc("GET "+PathOAuthMetadata, s.cors(s.serveDiscovery))
	s.mux.HandleFunc("OPTIONS "+PathOAuthMetadata, s.cors(nil))
	s.mux.HandleFunc("GET "+PathJWKS, s.getJWKS)
	s.mux.HandleFunc("OPTIONS "+PathJWKS, s.cors(nil))
	s.token = s.tokenCORS(opts.Token)
	s.mux.Handle(PathToken, s.token)
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
	s.mux.HandleFunc("GET /readyz", s.serveReady)
	s.mux.HandleFunc("GET /{$}", s.serveWelcome)
	return s
}

// ServeHTTP logs each request, without its query or body (health probes
// at debug level), and refuses requests whose issuer cannot be known.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	health := r.URL.Path == "/healthz" || r.URL.Path == "/readyz"
	level := slog.LevelInfo
	if health {
		level = slog.LevelDebug
	}
	// Below the log level (the default warn), a request costs no clock
	// reading, recorder or log record.
	logged := s.opts.Logger.Enabled(r.Context(), level)
	var start time.Time
	rec := w
	var status *statusRecorder
	if logged {
		start = time.Now()
		status = &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		rec = status
	}
	if s.hsts != nil && s.overHTTPS(r) {
		w.Header()["Strict-Transport-Security"] = s.hsts
	}
	if _, err := s.issuer(r); err != nil && !health {
		if r.URL.Path == PathToken {
			oauth.WriteError(rec, oauth.Errorf(oauth.InvalidRequest, "%v", err))
		} else {
			http.Error(rec, err.Error(), http.StatusBadRequest)
		}
	} else if h := s.hot(r); h != nil {
		h(rec, r)
	} else {
		s.mux.ServeHTTP(rec, r)
	}
	if logged {
		s.opts.Logger.LogAttrs(r.Context(), level, "request",
			logattr.String("method", r.Method), logattr.String("path", r.URL.Path),
			slog.Int("status", status.status), slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr))
	}
}

// hot returns the handler of the requests every API and client makes, the
// same the mux would choose, without the mux's pattern matching; nil for
// everything else (which the mux routes, with its 404s, 405s and
// redirects).
func (s *Server) hot(r *http.Request) http.HandlerFunc {
	switch r.URL.Path {
	case PathToken:
		return s.token
	case PathJWKS:
		if r.Method == http.MethodGet {
			return s.getJWKS
		}
	case PathDiscovery:
		if r.Method == http.MethodGet {
			return s.getDiscovery
		}
	}
	return nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Issuer returns the issuer for a request: the configured one, else the
// scheme and host the request came to (from X-Forwarded-* only with
// TrustProxy). ServeHTTP has refused requests for which it cannot be
// derived, so handlers may rely on it.
func (s *Server) Issuer(r *http.Request) string {
	iss, _ := s.issuer(r)
	return iss
}

func (s *Server) issuer(r *http.Request) (string, error) {
	if s.opts.Issuer != "" {
		return s.opts.Issuer, nil
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if s.opts.TrustProxy {
		if p := lastValue(r.Header.Values("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := lastValue(r.Header.Values("X-Forwarded-Host")); h != "" {
			host = h
		}
	}
	cache := &s.issuersHTTP
	if scheme == "https" {
		cache = &s.issuersHTTPS
	}
	if iss, ok := cache.Load(host); ok {
		return iss.(string), nil
	}
	if !validHost(host) {
		return "", errHost
	}
	iss := scheme + "://" + strings.ToLower(host)
	// Each request asks for it once or twice (the token endpoint too):
	// keep the first hosts seen, not every made-up one.
	if s.reserveIssuer() {
		cache.Store(host, iss)
	}
	return iss, nil
}

// reserveIssuer takes one of the maxCachedIssuers places of the issuer
// caches, if one is left. The count stops at the bound (a counter added to
// at every miss would wrap after 2^31 of them, and the caches grow again),
// and once the caches are full a miss only reads it.
func (s *Server) reserveIssuer() bool {
	for {
		n := s.issuersCached.Load()
		if n >= maxCachedIssuers {
			return false
		}
		if s.issuersCached.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// errHost refuses a request whose issuer cannot be derived. It does not
// echo the host, which may hold anything (an OAuth error_description may
// not).
var errHost = errors.New("the request's host is not a DNS name or an IP address with an optional port (or there is no Host header, or with trustProxy an X-Forwarded-Host that is not one): send the server's name, or configure issuer")

// lastValue is the value a proxy in front of us set: the last of a
// comma-separated header, since each hop appends (as ASP.NET reads it).
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	v := values[len(values)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// overHTTPS reports whether r came over https, to a host that takes HSTS:
// with TLS, or with TrustProxy an X-Forwarded-Proto of https (as ASP.NET's
// UseHsts after its forwarded headers middleware), to a host other than
// localhost, 127.0.0.1 and [::1].
func (s *Server) overHTTPS(r *http.Request) bool {
	if !s.opts.TrustProxy {
		return r.TLS != nil && !loopbackHost(r.Host)
	}
	secure, host := r.TLS != nil, r.Host
	switch lastValue(r.Header.Values("X-Forwarded-Proto")) {
	case "https":
		secure = true
	case "http":
		secure = false
	}
	if h := lastValue(r.Header.Values("X-Forwarded-Host")); h != "" {
		host = h
	}
	return secure && !loopbackHost(host)
}

// loopbackHost reports whether host (with or without a port) is one of
// those HSTS is not sent to.
func loopbackHost(host string) bool {
	name := host
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i >= 0 {
			name = host[:i+1]
		}
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		name = host[:i]
	}
	return strings.EqualFold(name, "localhost") || name == "127.0.0.1" || name == "[::1]"
}

// validHost accepts what a derived issuer may be made of: a DNS name, an
// IPv4 literal or a bracketed IPv6 literal without a zone, each with an
// optional port from 1 to 65535 (without leading zeros, so that one port
// makes one issuer). A name is made of labels of letters, digits, hyphens
// and underscores (underscores as browsers and Go's HTTP server take them:
// Docker and Compose name hosts with them), 1 to 63 long, not starting or
// ending with a hyphen, 253 at most in all, with no trailing dot (an alias
// of the name that would make a second issuer). A name whose last label is
// a number is not one: browsers read it as an IPv4 address ("127.1",
// "0x7f.1"), and only the dotted-quad form is accepted as that. Everything
// else, which a URL built from it could mean differently, is refused.
func validHost(h string) bool {
	if h == "" || len(h) > maxHostLen {
		return false
	}
	name, port := h, ""
	if h[0] == '[' {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return false
		}
		a, err := netip.ParseAddr(h[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
		switch rest := h[end+1:]; {
		case rest == "":
			return true
		case rest[0] != ':':
			return false
		default:
			return validPort(rest[1:])
		}
	}
	if i := strings.IndexByte(h, ':'); i >= 0 {
		name, port = h[:i], h[i+1:]
		if !validPort(port) {
			return false
		}
	}
	if a, err := netip.ParseAddr(name); err == nil {
		return a.Is4()
	}
	return validDNSName(name)
}

// maxHostLen bounds a host: the longest DNS name and a port.
const maxHostLen = maxNameLen + len(":65535")

const maxNameLen = 253

// validPort accepts 1 to 65535, written without a sign or leading zeros.
func validPort(p string) bool {
	if p == "" || len(p) > 5 || p[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

// validDNSName accepts a name of labels as validHost describes them.
func validDNSName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '.' {
			c := name[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
			continue
		}
		label := name[start:i]
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		if i == len(name) && numeric(label) {
			return false
		}
		start = i + 1
	}
	return true
}

// numeric reports whether a last label makes browsers (the WHATWG URL
// standard) read the host as an IPv4 address: all decimal digits, or 0x
// and hexadecimal digits.
func numeric(label string) bool {
	digits := label
	if len(label) >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X') {
		digits = label[2:]
		for i := 0; i < len(digits); i++ {
			c := digits[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}

// Header values shared by every response that uses them (see encoded).
var (
	headerAnyOrigin       = []string{"*"}
	headerExposeETag      = []string{"ETag"}
	headerJSON            = []string{"application/json"}
	headerVaryForwarded   = []string{"X-Forwarded-Host, X-Forwarded-Proto"}
	jwksCacheControl      = []string{"public, max-age=900"}
	discoveryCacheControl = []string{"public, max-age=3600"}
)

// cors lets browsers read the discovery document and the JWKS, which are
// public, from any origin; with next nil it answers a preflight. The
// allowed origin is "*" whatever the Origin, so responses do not vary by
// it (no Vary: Origin).
func (s *Server) cors(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Access-Control-Allow-Origin"] = headerAnyOrigin
		if next == nil {
			h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "If-None-Match, Cache-Control")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h["Access-Control-Expose-Headers"] = headerExposeETag
		next(w, r)
	}
}

// serveCached writes a pre-encoded JSON body with its ETag and length, or
// 304 when If-None-Match has the ETag.
func serveCached(w http.ResponseWriter, r *http.Request, e *encoded, cacheControl []string, varyForwarded bool) {
	h := w.Header()
	h["Etag"] = e.etagHeader
	h["Cache-Control"] = cacheControl
	if varyForwarded {
		// The body depends on these headers: a shared cache must key on
		// them, or one client's X-Forwarded-Host is served to everyone.
		h["Vary"] = headerVaryForwarded
	}
	if match := r.Header["If-None-Match"]; len(match) > 0 && etagMatches(match, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = headerJSON
	// Set here, net/http need not buffer the body to count it, nor send a
	// key set of more than 2 KB (a rollover with certificates) chunked.
	h["Content-Length"] = e.lengthHeader
	_, _ = w.Write(e.body)
}

func etagMatches(header []string, etag string) bool {
	for _, line := range header {
		for v := range strings.SplitSeq(line, ",") {
			v = strings.TrimSpace(v)
			if v == "*" || strings.TrimPrefix(v, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// serveJWKS serves the ring's key set; its header values are built again
// only when the key set changes.
func (s *Server) serveJWKS(w http.ResponseWriter, r *http.Request) {
	body, etag := s.opts.Ring.JWKS()
	e := s.jwks.Load()
	if e == nil || e.etag != etag {
		e = newEncoded(body, etag)
		s.jwks.Store(e)
	}
	serveCached(w, r, e, jwksCacheControl, false)
}

func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// NotReadyError is a reason not to be ready that /readyz may show: Reason
// is for anyone, Err (logged) may name hosts and databases.
type NotReadyError struct {
	Reason string
	Err    error
}

func (e *NotReadyError) Error() string {
	if e.Err == nil {
		return e.Reason
	}
	return e.Reason + ": " + e.Err.Error()
}

func (e *NotReadyError) Unwrap() error { return e.Err }

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.opts.Ring == nil || s.opts.Ring.Signer() == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("not ready: no signing key\n"))
		return
	}
	if s.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.opts.Ready(ctx); err != nil {
			s.opts.Logger.LogAttrs(r.Context(), slog.LevelWarn, "not ready", slog.String("error", err.Error()))
			reason := "storage unreachable"
			var nr *NotReadyError
			if errors.As(err, &nr) {
				reason = nr.Reason
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + reason + "\n"))
			return
		}
	}
	_, _ = w.Write([]byte("ready\n"))
}
