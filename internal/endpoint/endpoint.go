// Package endpoint is the contract between internal/server, which
// assembles the endpoints, and the packages that implement them (the token
// endpoint, discovery and the JWKS, health, the welcome page; authorize,
// userinfo, introspection and revocation to come).
//
// An endpoint lists its routes and adds its own discovery metadata, so that
// discovery names an endpoint exactly when its package is mounted. The
// server wraps every route in one chain, built once per route when the
// server is made: request id, issuer, access log, then the Middleware hooks
// (metrics, rate limits, page headers), which see each route's Kind.
//
// Endpoint packages import this one and internal/oauth, never the server
// or each other.
package endpoint

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/signetid/signet/internal/oauth"
)

// Endpoint is a protocol surface the server mounts.
type Endpoint interface {
	// Routes are the endpoint's routes; the server calls it once.
	Routes() []Route
	// Describe adds what the endpoint contributes to the discovery
	// document; the server calls it once, before Routes.
	Describe(m *Metadata)
}

// Directory is an Endpoint that shows what the others are (discovery, the
// welcome page). Once every mounted endpoint has described itself, and
// before any Routes, the server gives each Directory the whole Metadata.
type Directory interface {
	Endpoint
	SetMetadata(m Metadata)
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

func (k Kind) String() string {
	switch k {
	case API:
		return "api"
	case Health:
		return "health"
	case Page:
		return "page"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Route is one path (and method) an endpoint serves.
type Route struct {
	// Method is GET, POST, ...; "" serves every method (the handler then
	// answers the ones it does not take, as its RFC says). A GET route
	// serves HEAD too, unless the endpoint has a HEAD route of its own.
	Method string
	// Path is matched exactly, as it is (no wildcards).
	Path string
	// Subtree, with a Path ending in "/", serves every path below Path
	// that no other route has (/signin/ serves /signin/<name> and
	// /signin/<name>/callback, whose names change at run time).
	Subtree bool
	Handler http.Handler
	Kind    Kind
	// Refuse writes an error the chain finds before the handler runs
	// (the issuer cannot be known from the request; later, a rate limit)
	// the way the endpoint's RFC says: JSON for the token endpoint, a page
	// for authorize. nil writes it as plain text (RefuseText); the server
	// fills it in so, so that Middleware always finds one.
	Refuse func(w http.ResponseWriter, r *http.Request, err *oauth.Error)
}

// APIRoutes are the routes of an API endpoint (JSON or RFC 6750 errors)
// on path: one per method it takes, then every other method, which h
// answers with 405 as its RFC says. refuse is the Route's Refuse.
func APIRoutes(path string, h http.Handler, refuse func(w http.ResponseWriter, r *http.Request, err *oauth.Error), methods ...string) []Route {
	routes := make([]Route, len(methods)+1)
	for i := range routes {
		routes[i] = Route{Path: path, Handler: h, Kind: API, Refuse: refuse}
		if i < len(methods) {
			routes[i].Method = methods[i]
		}
	}
	return routes
}

// RefuseText writes err as plain text: its description, with its status.
func RefuseText(w http.ResponseWriter, r *http.Request, err *oauth.Error) {
	status := err.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	http.Error(w, err.Description, status)
}

// Middleware wraps one route's handler. The server calls it once per route
// when it is built, never per request, so that it can do its per-route work
// there (a counter per path, a limit per Kind, page headers only for Page
// routes). It runs inside the chain: the request's issuer and id are in
// the request's context, and what it writes is logged.
//
// Besides the endpoints' routes it wraps the server's fallbacks (404, 405,
// redirects), each passed as a Route whose Handler is the fallback: with the
// Path, Kind and Refuse of a path that has routes, for the methods none of
// them takes; with an empty Path and Kind API for the paths no route has.
type Middleware func(rt Route, next http.Handler) http.Handler

// Metadata is what endpoints contribute to the discovery document (OpenID
// Connect Discovery 1.0 §3, RFC 8414 §2); the discovery endpoint adds the
// issuer, the scopes and the signing algorithms, which change at run time.
type Metadata struct {
	// Paths of endpoints below the issuer, by their metadata name
	// (token_endpoint, jwks_uri, ...).
	Paths map[string]string
	// DiscoveryPath is where the discovery document is, when it is
	// mounted (for the welcome page; the document does not list itself).
	DiscoveryPath string
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
	// ResponseModes is response_modes_supported, CodeChallengeMethods
	// code_challenge_methods_supported (RFC 7636 §6.2): empty (and left
	// out) without an authorization endpoint.
	ResponseModes        []string
	CodeChallengeMethods []string
	// Flags are the boolean members an endpoint states
	// (authorization_response_iss_parameter_supported,
	// claims_parameter_supported, request_parameter_supported, ...),
	// written in name order.
	Flags map[string]bool
	// Lists are the list members of one endpoint alone
	// (revocation_endpoint_auth_methods_supported, ...), written in name
	// order; the lists several endpoints share have fields of their own.
	Lists map[string][]string
	// SignedBy are the list members whose value is the algorithms the
	// server signs with now (introspection_signing_alg_values_supported),
	// which the discovery endpoint fills in as it does
	// id_token_signing_alg_values_supported.
	SignedBy []string
}

// AppendList appends to the list member name the values it does not hold
// yet (AppendNew).
func (m *Metadata) AppendList(name string, values ...string) {
	if m.Lists == nil {
		m.Lists = map[string][]string{}
	}
	m.Lists[name] = AppendNew(m.Lists[name], values...)
}

// SetFlag records the boolean member name.
func (m *Metadata) SetFlag(name string, v bool) {
	if m.Flags == nil {
		m.Flags = map[string]bool{}
	}
	m.Flags[name] = v
}

// SetPath records the path of the endpoint named name (token_endpoint).
func (m *Metadata) SetPath(name, path string) {
	if m.Paths == nil {
		m.Paths = map[string]string{}
	}
	m.Paths[name] = path
}

// AppendNew appends to a metadata list (dst, such as m.Claims) the values
// it does not hold yet, in their order: several endpoints state the same
// value (two state grant types, the token and userinfo endpoints claims),
// and the document lists each once.
func AppendNew(dst []string, values ...string) []string {
	for _, v := range values {
		if !slices.Contains(dst, v) {
			dst = append(dst, v)
		}
	}
	return dst
}

// ID is a request's id: Base alone when Seq is 0, else Base, a hyphen and
// Seq in decimal. It is formatted only when asked for (most requests log
// nothing, or only the access line).
type ID struct {
	Base string
	Seq  uint64
}

func (id ID) String() string {
	if id.Seq == 0 {
		return id.Base
	}
	var buf [64]byte
	b := append(buf[:0], id.Base...)
	b = append(b, '-')
	return string(strconv.AppendUint(b, id.Seq, 10))
}

// request is what the chain learns of a request, carried in its context:
// as the context itself, so that the issuer and the id cost the request
// one allocation together (a context.WithValue of a struct costs two).
type request struct {
	context.Context
	issuer string
	id     ID
	// storageFailed is set by the first storage call of the request that
	// failed for an outage (MarkStorageFailure).
	storageFailed atomic.Bool
}

type requestKey struct{}

func (c *request) Value(key any) any {
	if _, ok := key.(requestKey); ok {
		return c
	}
	return c.Context.Value(key)
}

func requestOf(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// WithRequest returns ctx carrying the request's issuer and id; the chain
// calls it once per request.
func WithRequest(ctx context.Context, issuer string, id ID) context.Context {
	return &request{Context: ctx, issuer: issuer, id: id}
}

// WithIssuer returns ctx carrying issuer, and the id ctx has (for tests of
// an endpoint alone).
func WithIssuer(ctx context.Context, issuer string) context.Context {
	r := &request{Context: ctx, issuer: issuer}
	if prev := requestOf(ctx); prev != nil {
		r.id = prev.id
	}
	return r
}

// WithRequestID returns ctx carrying id, and the issuer ctx has.
func WithRequestID(ctx context.Context, id string) context.Context {
	r := &request{Context: ctx, id: ID{Base: id}}
	if prev := requestOf(ctx); prev != nil {
		r.issuer = prev.issuer
	}
	return r
}

// Issuer is the issuer of the request whose context ctx is: the configured
// one, or the one derived from the request's host. Inside a route it is
// never empty, except in Health routes (the chain refuses other requests
// whose issuer cannot be derived).
func Issuer(ctx context.Context) string {
	if r := requestOf(ctx); r != nil {
		return r.issuer
	}
	return ""
}

// MarkStorageFailure marks the request whose context ctx is as failed by a
// storage outage, and reports whether it was not marked before: an outage
// report counts requests, and a request may make more than one failing
// call. It is false outside a request.
func MarkStorageFailure(ctx context.Context) bool {
	r := requestOf(ctx)
	return r != nil && r.storageFailed.CompareAndSwap(false, true)
}

// WithoutRequest returns ctx without the request it carries (its issuer and
// id), with its other values and its cancellation: for work done on a
// request's behalf that must not count as the request's (a probe of the
// database).
func WithoutRequest(ctx context.Context) context.Context { return withoutRequest{ctx} }

type withoutRequest struct{ context.Context }

func (c withoutRequest) Value(key any) any {
	if _, ok := key.(requestKey); ok {
		return nil
	}
	return c.Context.Value(key)
}

// RequestID is the id the chain gave the request, for logs; "" outside one.
func RequestID(ctx context.Context) string {
	if r := requestOf(ctx); r != nil {
		return r.id.String()
	}
	return ""
}
