package interimtoken

import (
	"net/http"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/oauth"
)

// Path is the token endpoint's, as IdentityServer has it.
const Path = "/connect/token"

// claims are those of the access tokens the endpoint issues.
var claims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope"}

// Endpoint is the token endpoint, mounted.
type Endpoint struct {
	// Token serves the requests (a *grant.Endpoint whose Issuer reads
	// endpoint.Issuer of the request's context).
	Token http.Handler
	// AllowedOrigin, when set, reports whether a browser origin may call
	// the endpoint (a client's AllowedCorsOrigins).
	AllowedOrigin func(origin string) bool
}

var _ endpoint.Endpoint = (*Endpoint)(nil)

// Routes is the token path, for every method: the grant endpoint answers
// those it does not take (405 with Allow: POST, as JSON).
func (e *Endpoint) Routes() []endpoint.Route {
	return []endpoint.Route{{Path: Path, Handler: corsOf(e.AllowedOrigin, e.Token), Kind: endpoint.API, Refuse: refuse}}
}

// refuse writes what the chain refuses as RFC 6749 §5.2 JSON.
func refuse(w http.ResponseWriter, r *http.Request, err *oauth.Error) { oauth.WriteError(w, err) }

// Describe publishes the token endpoint: its path, grant types, client
// authentication methods and their algorithms, and the access tokens'
// claims.
func (e *Endpoint) Describe(m *endpoint.Metadata) {
	m.SetPath("token_endpoint", Path)
	m.GrantTypes = append(m.GrantTypes, grant.GrantTypes...)
	m.AuthMethods = append(m.AuthMethods, grant.AuthMethods...)
	for _, alg := range grant.AssertionAlgorithms {
		m.AuthSigningAlgs = append(m.AuthSigningAlgs, string(alg))
	}
	m.Claims = append(m.Claims, claims...)
}

var (
	headerVaryOrigin      = []string{"Origin"}
	headerTokenMethods    = []string{"POST"}
	headerTokenHeaders    = []string{"Authorization, Content-Type"}
	headerTokenPreflightS = []string{"600"}
)

// corsOf lets the browser origins of the clients (their
// AllowedCorsOrigins, as IdentityServer's) call the token endpoint: a
// preflight from one of them is answered, and its requests get its origin
// back. Any other origin gets no CORS header, so the browser keeps the
// answer from it; requests without an Origin (every machine client) pay
// one map lookup.
func corsOf(allowed func(origin string) bool, next http.Handler) http.Handler {
	if allowed == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header["Origin"]
		if len(origin) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h["Vary"] = headerVaryOrigin
		if len(origin) != 1 || !allowed(origin[0]) {
			next.ServeHTTP(w, r)
			return
		}
		h["Access-Control-Allow-Origin"] = origin[:1:1]
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h["Access-Control-Allow-Methods"] = headerTokenMethods
			h["Access-Control-Allow-Headers"] = headerTokenHeaders
			h["Access-Control-Max-Age"] = headerTokenPreflightS
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
