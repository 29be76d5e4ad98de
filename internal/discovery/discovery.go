package discovery

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/signetid/signet/internal/endpoint"
)

// Paths, as IdentityServer has them.
const (
	Path = "/.well-known/openid-configuration"
	// PathOAuthMetadata serves the same document for RFC 8414 clients.
	PathOAuthMetadata = "/.well-known/oauth-authorization-server"
	PathJWKS          = "/.well-known/openid-configuration/jwks"
)

// Keys are the keys published and signed with (signing.Ring).
type Keys interface {
	// JWKS is the published key set, encoded, and its ETag.
	JWKS() (body []byte, etag string)
	// SigningAlgorithms are the algorithms of the keys that sign.
	SigningAlgorithms() []string
}

// Options are what the endpoint is made of.
type Options struct {
	// Keys publishes the JWKS and names the signing algorithms; required.
	Keys Keys
	// Scopes, when set, gives the scopes now and a version that changes
	// with them (scopes added through the database); nil publishes none.
	Scopes func() ([]string, int64)
	// VaryForwarded sends Vary: X-Forwarded-Host, X-Forwarded-Proto with
	// the document: set it when the issuer is derived from those headers
	// (trustProxy without a configured issuer), or a shared cache serves
	// one client's forwarded host to everyone.
	VaryForwarded bool
}

// Endpoint serves the discovery document and the JWKS.
type Endpoint struct {
	opts Options
	// meta is what the mounted endpoints described; names are the
	// metadata names of their paths, in the document's order.
	meta  endpoint.Metadata
	names []string
	docs  documentCache
	jwks  atomic.Pointer[encoded]
}

var _ endpoint.Directory = (*Endpoint)(nil)

// New makes the endpoint.
func New(opts Options) *Endpoint {
	return &Endpoint{opts: opts, docs: documentCache{docs: map[string]*encoded{}}}
}

// Describe publishes the JWKS's path, and where the document is.
func (e *Endpoint) Describe(m *endpoint.Metadata) {
	m.SetPath("jwks_uri", PathJWKS)
	m.DiscoveryPath = Path
}

// SetMetadata takes what every mounted endpoint described: the document
// lists those and nothing else.
func (e *Endpoint) SetMetadata(m endpoint.Metadata) {
	e.meta = m
	e.names = e.names[:0]
	for name := range m.Paths {
		e.names = append(e.names, name)
	}
	// Sorted, so that the body (and its ETag) is the same on every
	// instance and after every restart.
	slices.Sort(e.names)
}

// Routes serve the document at both well-known paths and the JWKS, each
// with a CORS preflight.
func (e *Endpoint) Routes() []endpoint.Route {
	document := anyOrigin(e.serveDocument)
	preflight := anyOrigin(nil)
	return []endpoint.Route{
		{Method: http.MethodGet, Path: Path, Handler: document},
		{Method: http.MethodOptions, Path: Path, Handler: preflight},
		{Method: http.MethodGet, Path: PathOAuthMetadata, Handler: document},
		{Method: http.MethodOptions, Path: PathOAuthMetadata, Handler: preflight},
		{Method: http.MethodGet, Path: PathJWKS, Handler: anyOrigin(e.serveJWKS)},
		{Method: http.MethodOptions, Path: PathJWKS, Handler: preflight},
	}
}

// encoded is a response body with its header values, built once: the
// handlers put these slices into each response's header map as they are
// (net/http only reads them), so that a cached response allocates nothing
// for its headers.
type encoded struct {
	body         []byte
	etag         string
	etagHeader   []string
	lengthHeader []string
}

func newEncoded(body []byte, etag string) *encoded {
	return &encoded{body: body, etag: etag, etagHeader: []string{etag}, lengthHeader: []string{strconv.Itoa(len(body))}}
}

// maxCachedDocuments bounds the documents kept, one per issuer: one when
// the issuer is configured, one per host it is reached by otherwise, so
// that made-up Host headers cannot grow the cache.
const maxCachedDocuments = 32

// documentCache holds the encoded document per issuer.
type documentCache struct {
	mu   sync.RWMutex
	docs map[string]*encoded
	// version of the scopes and keys of the published key set (the JWKS
	// ETag) the cached documents hold; a change of either empties the
	// cache.
	version int64
	keys    string
}

// document returns the document for issuer with scopes of the given
// version and the algorithms of the key set keys.
func (e *Endpoint) document(issuer string, scopes []string, version int64, keys string) *encoded {
	c := &e.docs
	c.mu.RLock()
	d, ok := c.docs[issuer]
	current := c.version == version && c.keys == keys
	c.mu.RUnlock()
	if ok && current {
		return d
	}
	body := e.encode(issuer, scopes, e.opts.Keys.SigningAlgorithms())
	sum := sha256.Sum256(body)
	d = newEncoded(body, `"`+base64.RawURLEncoding.EncodeToString(sum[:12])+`"`)
	c.mu.Lock()
	if c.version != version || c.keys != keys {
		c.docs, c.version, c.keys = map[string]*encoded{}, version, keys
	}
	if len(c.docs) < maxCachedDocuments {
		c.docs[issuer] = d
	}
	c.mu.Unlock()
	return d
}

// encode writes the OpenID Provider / OAuth 2.0 Authorization Server
// metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2): what the mounted
// endpoints implement, and nothing else. Lists are [] when empty, never
// null.
func (e *Endpoint) encode(issuer string, scopes, algs []string) []byte {
	base := strings.TrimSuffix(issuer, "/")
	var b bytes.Buffer
	b.WriteByte('{')
	member(&b, "issuer", issuer)
	for _, name := range e.names {
		member(&b, name, base+e.meta.Paths[name])
	}
	m := &e.meta
	member(&b, "grant_types_supported", nonNil(m.GrantTypes))
	member(&b, "scopes_supported", nonNil(scopes))
	member(&b, "claims_supported", nonNil(m.Claims))
	member(&b, "token_endpoint_auth_methods_supported", nonNil(m.AuthMethods))
	member(&b, "token_endpoint_auth_signing_alg_values_supported", nonNil(m.AuthSigningAlgs))
	// Required by RFC 8414; with no authorization endpoint it is [].
	member(&b, "response_types_supported", nonNil(m.ResponseTypes))
	if len(m.ResponseModes) > 0 {
		member(&b, "response_modes_supported", m.ResponseModes)
	}
	if len(m.CodeChallengeMethods) > 0 {
		member(&b, "code_challenge_methods_supported", m.CodeChallengeMethods)
	}
	for _, name := range slices.Sorted(maps.Keys(m.Lists)) {
		member(&b, name, nonNil(m.Lists[name]))
	}
	for _, name := range slices.Sorted(slices.Values(m.SignedBy)) {
		member(&b, name, nonNil(algs))
	}
	// subject_types_supported and id_token_signing_alg_values_supported
	// are required by OpenID Connect Discovery, and parsers such as
	// Nimbus (Spring) insist on them: sub is the same for every API
	// ("public"), and tokens are signed with the published keys'
	// algorithms.
	member(&b, "subject_types_supported", []string{"public"})
	member(&b, "id_token_signing_alg_values_supported", nonNil(algs))
	// It defaults to true in OpenID Connect Discovery; it is not
	// supported.
	member(&b, "request_uri_parameter_supported", false)
	for _, name := range slices.Sorted(maps.Keys(m.Flags)) {
		if name != "request_uri_parameter_supported" {
			member(&b, name, m.Flags[name])
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// member writes "name":value, after a comma unless it is the first.
func member(b *bytes.Buffer, name string, value any) {
	if b.Len() > 1 {
		b.WriteByte(',')
	}
	v, _ := json.Marshal(value) // strings, string slices and bools: cannot fail
	k, _ := json.Marshal(name)
	b.Write(k)
	b.WriteByte(':')
	b.Write(v)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (e *Endpoint) serveDocument(w http.ResponseWriter, r *http.Request) {
	var scopes []string
	var version int64
	if e.opts.Scopes != nil {
		scopes, version = e.opts.Scopes()
	}
	// The algorithms follow the signing keys (not validation keys, which
	// never sign): a reload may replace an RSA certificate by an EC one.
	_, keys := e.opts.Keys.JWKS()
	d := e.document(endpoint.Issuer(r.Context()), scopes, version, keys)
	serveCached(w, r, d, discoveryCacheControl, e.opts.VaryForwarded)
}

// serveJWKS serves the key set; its header values are built again only
// when the key set changes.
func (e *Endpoint) serveJWKS(w http.ResponseWriter, r *http.Request) {
	body, etag := e.opts.Keys.JWKS()
	d := e.jwks.Load()
	if d == nil || d.etag != etag {
		d = newEncoded(body, etag)
		e.jwks.Store(d)
	}
	serveCached(w, r, d, jwksCacheControl, false)
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

// anyOrigin lets browsers read the discovery document and the JWKS, which
// are public, from any origin; with next nil it answers a preflight. The
// allowed origin is "*" whatever the Origin, so responses do not vary by
// it (no Vary: Origin).
func anyOrigin(next http.HandlerFunc) http.HandlerFunc {
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
