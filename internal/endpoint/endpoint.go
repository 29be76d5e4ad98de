// Package endpoint is the contract between internal/server, which
// assembles the endpoints, and the packages that implement them (the token
// endpoint, discovery and the JWKS, health, pages; authorize, userinfo,
// introspection and revocation to come).
//
// An endpoint lists its routes and adds its own discovery metadata, so that
// discovery names an endpoint exactly when its package is mounted. The
// server wraps every route in one middleware chain, built once per route
// when the server is made: request id, issuer, access log, and the hooks
// (metrics, rate limits, page headers) that see each route's Kind.
//
// Endpoint packages import this one and internal/oauth, never the server
// or each other.
package endpoint

import (
	"context"
	"net/http"

	"github.com/signetid/signet/internal/oauth"
)

// Endpoint is a protocol surface the server mounts.
type Endpoint interface {
	// Routes are the endpoint's routes; the server calls it once.
	Routes() []Route
	// Describe adds what the endpoint contributes to the discovery
	// document; the server calls it once.
	Describe(m *Metadata)
}

// Kind says what a route is, for the chain: how its requests are logged,
// and which hooks apply.
type Kind int

const (
	// API routes speak a protocol to programs (token, JWKS, discovery).
	API Kind = iota
	// Health routes are probes, logged at debug level and exempt from
	// limits; they do not need an issuer.
	Health
	// Page routes are HTML for people: they get the page security headers.
	Page
)

// Route is one path (and method) an endpoint serves.
type Route struct {
	// Method is GET, POST, ...; "" serves every method (the handler then
	// answers the ones it does not take, as its RFC says).
	Method string
	// Path is matched exactly.
	Path    string
	Handler http.Handler
	Kind    Kind
	// Refuse writes an error the chain finds before the handler runs
	// (the issuer cannot be known from the request; later, a rate limit)
	// the way the endpoint's RFC says: JSON for the token endpoint, a page
	// for authorize. nil writes it as plain text.
	Refuse func(w http.ResponseWriter, r *http.Request, err *oauth.Error)
}

// Metadata is what endpoints contribute to the discovery document (OpenID
// Connect Discovery 1.0 §3, RFC 8414 §2); the discovery endpoint adds the
// issuer, the scopes and the signing algorithms, which change at run time.
type Metadata struct {
	// Paths of endpoints below the issuer, by their metadata name
	// (token_endpoint, jwks_uri, ...).
	Paths map[string]string
	// GrantTypes is grant_types_supported.
	GrantTypes []string
	// ResponseTypes is response_types_supported.
	ResponseTypes []string
	// AuthMethods is token_endpoint_auth_methods_supported, AuthSigningAlgs
	// token_endpoint_auth_signing_alg_values_supported.
	AuthMethods     []string
	AuthSigningAlgs []string
	// Claims is claims_supported.
	Claims []string
}

// SetPath records the path of the endpoint named name (token_endpoint).
func (m *Metadata) SetPath(name, path string) {
	if m.Paths == nil {
		m.Paths = map[string]string{}
	}
	m.Paths[name] = path
}

type issuerKey struct{}

// WithIssuer returns ctx carrying the request's issuer; the chain sets it
// once per request.
func WithIssuer(ctx context.Context, issuer string) context.Context {
	return context.WithValue(ctx, issuerKey{}, issuer)
}

// Issuer is the issuer of the request whose context ctx is: the configured
// one, or the one derived from the request's host. Inside a route it is
// never empty (the chain refuses requests whose issuer cannot be derived).
func Issuer(ctx context.Context) string {
	iss, _ := ctx.Value(issuerKey{}).(string)
	return iss
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the id the chain gave the request, for logs; "" outside one.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
