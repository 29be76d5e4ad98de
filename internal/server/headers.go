package server

import (
	"net/http"
	"slices"

	"github.com/signetid/signet/internal/endpoint"
)

// PageCSP is the Content-Security-Policy every page is sent with unless
// its endpoint sends a policy of its own (the sign-in pages allow their
// stylesheet and images; the form_post page its one script, and no
// frame-ancestors, so that a client can renew silently in an iframe): no
// script, no framing.
const PageCSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// The header values, each a slice of one whose capacity is its length, so
// that a handler's Add copies it rather than writing into what every
// response shares.
var (
	pageCSP       = []string{PageCSP}
	nosniff       = []string{"nosniff"}
	noReferrer    = []string{"no-referrer"}
	noStore       = []string{"no-store"}
	pragmaNoCache = []string{"no-cache"}
)

// PageHeaders is a Middleware that sends, on every response of a Page
// route (and before its handler, which may replace them),
// Content-Security-Policy PageCSP, X-Content-Type-Options nosniff and
// Referrer-Policy no-referrer: an error page, a redirect or a 405 carries
// them as the pages themselves do.
func PageHeaders(rt endpoint.Route, next http.Handler) http.Handler {
	if rt.Kind != endpoint.Page {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Security-Policy"] = pageCSP
		h["X-Content-Type-Options"] = nosniff
		h["Referrer-Policy"] = noReferrer
		next.ServeHTTP(w, r)
	})
}

// NoStore is a Middleware that sends Cache-Control no-store and Pragma
// no-cache (RFC 6749 §5.1, RFC 7662 §2.2, OpenID Connect Core §5.3.2) on
// every response of the API routes on paths (the token, introspection,
// revocation and userinfo endpoints): their errors, 405s and CORS
// preflights too, not only what their handlers write.
func NoStore(paths ...string) endpoint.Middleware {
	return func(rt endpoint.Route, next http.Handler) http.Handler {
		if rt.Kind != endpoint.API || !slices.Contains(paths, rt.Path) {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h["Cache-Control"] = noStore
			h["Pragma"] = pragmaNoCache
			next.ServeHTTP(w, r)
		})
	}
}
