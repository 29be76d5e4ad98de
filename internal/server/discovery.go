package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// discoveryDocument is the OpenID Provider / OAuth 2.0 Authorization Server
// metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2): what is
// implemented, and nothing that is not.
type discoveryDocument struct {
	Issuer                            string   `json:"issuer"`
	JWKSURI                           string   `json:"jwks_uri"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs      []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	// ResponseTypesSupported is required by RFC 8414; with no authorization
	// endpoint yet, the honest value is none.
	ResponseTypesSupported []string `json:"response_types_supported"`
	// SubjectTypesSupported and IDTokenSigningAlgs are required by OpenID
	// Connect Discovery, and parsers such as Nimbus (Spring) insist on
	// them: sub is the same for every API ("public"), and tokens are
	// signed with the published keys' algorithms.
	SubjectTypesSupported []string `json:"subject_types_supported"`
	IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported"`
	// RequestURIParameterSupported defaults to true in OpenID Connect
	// Discovery; it is not supported.
	RequestURIParameterSupported bool `json:"request_uri_parameter_supported"`
}

// discoveryCache holds the encoded document per issuer: one when the issuer
// is configured, one per host it is reached by otherwise (bounded, so that
// made-up Host headers cannot grow it).
type discoveryCache struct {
	info DiscoveryInfo
	mu   sync.RWMutex
	docs map[string]*encoded
	// version of the scopes and keys of the published key set (the JWKS
	// ETag) the cached documents hold; a change of either empties the
	// cache.
	version int64
	keys    string
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

const maxCachedIssuers = 32

func newDiscoveryCache(info DiscoveryInfo) *discoveryCache {
	return &discoveryCache{info: info, docs: map[string]*encoded{}}
}

// get returns the document for issuer with scopes of the given version and
// the algorithms of the key set keys (algs is called only to build it).
func (c *discoveryCache) get(issuer string, scopes []string, version int64, keys string, algs func() []string) *encoded {
	c.mu.RLock()
	e, ok := c.docs[issuer]
	current := c.version == version && c.keys == keys
	c.mu.RUnlock()
	if ok && current {
		return e
	}
	base := strings.TrimSuffix(issuer, "/")
	doc := discoveryDocument{
		Issuer:                            issuer,
		JWKSURI:                           base + PathJWKS,
		TokenEndpoint:                     base + PathToken,
		GrantTypesSupported:               nonNil(c.info.GrantTypes),
		ScopesSupported:                   nonNil(scopes),
		ClaimsSupported:                   nonNil(c.info.Claims),
		TokenEndpointAuthMethodsSupported: nonNil(c.info.AuthMethods),
		TokenEndpointAuthSigningAlgs:      nonNil(c.info.AuthSigningAlgs),
		ResponseTypesSupported:            []string{},
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgs:                nonNil(algs()),
	}
	body, _ := json.Marshal(doc) // strings and string slices only: cannot fail
	sum := sha256.Sum256(body)
	e = newEncoded(body, `"`+base64.RawURLEncoding.EncodeToString(sum[:12])+`"`)
	c.mu.Lock()
	if c.version != version || c.keys != keys {
		c.docs, c.version, c.keys = map[string]*encoded{}, version, keys
	}
	if len(c.docs) < maxCachedIssuers {
		c.docs[issuer] = e
	}
	c.mu.Unlock()
	return e
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	scopes, version := s.opts.Discovery.Scopes, int64(0)
	if s.opts.Scopes != nil {
		scopes, version = s.opts.Scopes()
	}
	// The algorithms follow the signing keys (not validation keys, which
	// never sign): a reload may replace an RSA certificate by an EC one.
	keys, algs := "", func() []string { return s.opts.Discovery.SigningAlgs }
	if s.opts.Ring != nil {
		_, keys = s.opts.Ring.JWKS()
		algs = s.opts.Ring.SigningAlgorithms
	}
	e := s.discovery.get(s.Issuer(r), scopes, version, keys, algs)
	serveCached(w, r, e, discoveryCacheControl, s.opts.TrustProxy && s.opts.Issuer == "")
}
