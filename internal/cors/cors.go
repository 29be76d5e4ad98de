// Package cors lets the browser origins of the clients (their
// AllowedCorsOrigins, as IdentityServer's) call the API endpoints that
// browsers use (the token endpoint, userinfo): a preflight from one of them
// is answered, and its requests get its origin back. Any other origin gets
// no CORS header, so the browser keeps the answer from it; requests
// without an Origin (every machine client) pay one map lookup.
//
// It imports nothing of Signet's. Pages (authorize, end session) send no
// CORS headers and do not use it.
package cors

import (
	"net/http"
	"strings"
)

var headerVaryOrigin = []string{"Origin"}

// Policy is the CORS of one endpoint. A nil *Policy, or one without
// Allowed, sends no CORS header.
type Policy struct {
	allowed func(origin string) bool
	methods []string
	headers []string
	expose  []string
	maxAge  []string
}

// Options are what a Policy allows beside the origins.
type Options struct {
	// Methods are the methods a preflight allows (e.g. POST).
	Methods []string
	// Headers are the request headers a preflight allows.
	Headers []string
	// Expose are the response headers a script may read beyond the
	// safelisted ones (WWW-Authenticate for a bearer error).
	Expose []string
}

// New returns the policy of an endpoint: allowed reports whether a browser
// origin may call it (nil: none may). A preflight is cached for 10
// minutes.
func New(allowed func(origin string) bool, o Options) *Policy {
	p := &Policy{allowed: allowed, maxAge: []string{"600"}}
	p.methods = []string{strings.Join(o.Methods, ", ")}
	p.headers = []string{strings.Join(o.Headers, ", ")}
	if len(o.Expose) > 0 {
		p.expose = []string{strings.Join(o.Expose, ", ")}
	}
	return p
}

// Wrap answers the preflights of allowed origins (204 with the methods and
// headers), and sets the CORS headers of other requests, before next.
func (p *Policy) Wrap(next http.HandlerFunc) http.HandlerFunc {
	if p == nil || p.allowed == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if !p.Headers(w, r) {
			next(w, r)
			return
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h := w.Header()
			h["Access-Control-Allow-Methods"] = p.methods
			h["Access-Control-Allow-Headers"] = p.headers
			h["Access-Control-Max-Age"] = p.maxAge
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next(w, r)
	}
}

// Headers sets the headers of a response to a request with an Origin
// (Vary, and Access-Control-Allow-Origin and -Expose-Headers for an
// allowed one), and reports whether the origin is allowed. Endpoints call
// it for the answers they write outside Wrap (the chain's refusals).
func (p *Policy) Headers(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header["Origin"]
	if p == nil || len(origin) == 0 || p.allowed == nil {
		return false
	}
	h := w.Header()
	h["Vary"] = headerVaryOrigin
	if len(origin) != 1 || !p.allowed(origin[0]) {
		return false
	}
	h["Access-Control-Allow-Origin"] = origin[:1:1]
	if p.expose != nil {
		h["Access-Control-Expose-Headers"] = p.expose
	}
	return true
}
