package upstream

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Config is one upstream provider as the operator configured it.
type Config struct {
	// Name identifies the provider in Signet (and in errors).
	Name string
	// Authority is the provider's issuer URL; its discovery document is
	// Authority + "/.well-known/openid-configuration".
	Authority string
	// ClientID and ClientSecret are Signet's credentials at the upstream.
	// Without a secret (nor ClientKey) Signet authenticates as a public
	// client (PKCE only).
	ClientID, ClientSecret string
	// ClientKey, instead of a secret, authenticates Signet with a signed
	// client assertion (private_key_jwt).
	ClientKey *ClientKey
	// Scopes requested; openid is added when missing. Empty: openid,
	// profile and email.
	Scopes []string
	// RedirectURI is Signet's callback registered at the upstream.
	RedirectURI string
}

// DefaultTimeout bounds each Start and Finish, all of its requests to the
// upstream together.
const DefaultTimeout = 10 * time.Second

// leeway is the clock skew allowed on exp, iat and nbf.
const leeway = time.Minute

// maxBody bounds what is read of any upstream response.
const maxBody = 1 << 20

// Option changes a Provider's defaults.
type Option func(*Provider)

// Timeout bounds each Start and Finish (default DefaultTimeout).
func Timeout(d time.Duration) Option { return func(p *Provider) { p.timeout = d } }

// HTTPClient sets the client used to reach the upstream (e.g. with a
// proxy or private roots). Its redirect policy is replaced: Signet never
// follows an upstream's redirect.
func HTTPClient(c *http.Client) Option { return func(p *Provider) { p.client = c } }

// AllowInsecureLoopback lets the authority and its endpoints use http on a
// loopback host (tests and local development); https is required
// everywhere else.
func AllowInsecureLoopback() Option { return func(p *Provider) { p.insecureLoopback = true } }

// EntraMultiTenant treats an authority whose path is /common/v2.0 or
// /organizations/v2.0 on another host than login.microsoftonline.com (a
// national cloud, or a test) as Entra's multi-tenant endpoint. On
// login.microsoftonline.com it is automatic.
func EntraMultiTenant() Option { return func(p *Provider) { p.entraAnyHost = true } }

// Clock sets the time source of the ID token's checks.
func Clock(now func() time.Time) Option { return func(p *Provider) { p.now = now } }

// Random sets the source of state, nonce and PKCE verifier.
func Random(r io.Reader) Option { return func(p *Provider) { p.random = r } }

// Provider is one upstream OpenID provider. It is safe for concurrent use;
// the discovery document is read once, the JWKS when first needed and again
// when an ID token names a key it does not hold.
type Provider struct {
	cfg              Config
	authority        string // without a trailing slash
	scope            string
	timeout          time.Duration
	client           *http.Client
	insecureLoopback bool
	entraAnyHost     bool
	entra            bool // Entra multi-tenant authority
	now              func() time.Time
	random           io.Reader
	github           GitHubEndpoints // for NewGitHub only

	discoveryOnce chan struct{} // a one-slot lock that a context can give up on
	discovery     *document

	keysLock chan struct{}
	keysMu   sync.RWMutex
	keys     *jose.JSONWebKeySet
	keysGen  uint64
}

// document is what is used of the discovery document.
type document struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	JWKSURI               string   `json:"jwks_uri"`
	UserinfoEndpoint      string   `json:"userinfo_endpoint"`
	TokenAuthMethods      []string `json:"token_endpoint_auth_methods_supported"`
	TokenAuthSigningAlgs  []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

// New checks cfg and makes a Provider; it does not reach the upstream.
func New(cfg Config, opts ...Option) (*Provider, error) {
	p := &Provider{
		cfg:           cfg,
		timeout:       DefaultTimeout,
		now:           time.Now,
		random:        rand.Reader,
		discoveryOnce: make(chan struct{}, 1),
		keysLock:      make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(p)
	}
	var problems []string
	if cfg.Name == "" {
		problems = append(problems, "a name is required")
	}
	if cfg.ClientID == "" {
		problems = append(problems, "a client id is required")
	}
	if cfg.ClientSecret != "" && cfg.ClientKey != nil {
		problems = append(problems, "give a client secret or a client key (private_key_jwt), not both")
	}
	p.authority = strings.TrimSuffix(cfg.Authority, "/")
	if u, err := p.checkURL("authority", p.authority); err != nil {
		problems = append(problems, err.Error())
	} else {
		if u.RawQuery != "" || u.Fragment != "" {
			problems = append(problems, fmt.Sprintf("authority %q: an issuer has no query or fragment", cfg.Authority))
		}
		p.entra = isEntraMultiTenant(u, p.entraAnyHost)
	}
	if u, err := url.Parse(cfg.RedirectURI); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
		problems = append(problems, fmt.Sprintf("redirect URI %q: an absolute URL without a fragment is required", cfg.RedirectURI))
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"openid", "profile", "email"}
	}
	for _, s := range scopes {
		if s == "" || strings.ContainsAny(s, " \"\\") || strings.IndexFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
			problems = append(problems, fmt.Sprintf("scope %q is not a scope token (RFC 6749 §3.3)", s))
		}
	}
	if !slices.Contains(scopes, "openid") {
		scopes = append([]string{"openid"}, scopes...)
	}
	p.scope = strings.Join(scopes, " ")
	if p.timeout <= 0 {
		problems = append(problems, "the timeout must be positive")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("upstream provider %q: %s", cfg.Name, strings.Join(problems, "; "))
	}
	c := http.DefaultClient
	if p.client != nil {
		c = p.client
	}
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p.client = &cc
	return p, nil
}

// Name is the provider's configured name.
func (p *Provider) Name() string { return p.cfg.Name }

// isEntraMultiTenant reports whether u is Entra's common or organizations
// v2.0 endpoint, whose issuer depends on the signed-in person's tenant.
func isEntraMultiTenant(u *url.URL, anyHost bool) bool {
	if !anyHost && !strings.EqualFold(u.Host, "login.microsoftonline.com") {
		return false
	}
	path := strings.TrimSuffix(u.Path, "/") // Entra writes it lowercase
	return path == "/common/v2.0" || path == "/organizations/v2.0"
}

// checkURL requires https, or http on a loopback host when allowed.
func (p *Provider) checkURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, fmt.Errorf("%s %q is not an absolute URL", what, raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.insecureLoopback && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("%s %q must use https", what, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s %q must not carry credentials", what, raw)
	}
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// withTimeout bounds one Start or Finish.
func (p *Provider) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, p.timeout)
}

// lock takes a one-slot lock, or gives up with the context.
func lock(ctx context.Context, l chan struct{}) error {
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, context.Cause(ctx))
	}
}

// document returns the discovery document, reading it the first time. A
// failure is not kept: the next call tries again.
func (p *Provider) document(ctx context.Context) (*document, error) {
	if err := lock(ctx, p.discoveryOnce); err != nil {
		return nil, fmt.Errorf("discovery of %q: %w", p.cfg.Name, err)
	}
	defer func() { <-p.discoveryOnce }()
	if p.discovery != nil {
		return p.discovery, nil
	}
	var d document
	where := p.authority + "/.well-known/openid-configuration"
	if err := p.getJSON(ctx, where, &d); err != nil {
		return nil, fmt.Errorf("discovery of %q at %s: %w", p.cfg.Name, where, err)
	}
	if err := p.checkDocument(&d); err != nil {
		return nil, fmt.Errorf("discovery of %q at %s: %w: %w", p.cfg.Name, where, ErrInvalid, err)
	}
	p.discovery = &d
	return &d, nil
}

func (p *Provider) checkDocument(d *document) error {
	want := p.authority
	if p.entra {
		// .../common/v2.0 → .../{tenantid}/v2.0, as Entra publishes it.
		i := strings.LastIndex(strings.TrimSuffix(want, "/v2.0"), "/")
		want = want[:i] + "/{tenantid}/v2.0"
	}
	if strings.TrimSuffix(d.Issuer, "/") != want {
		return fmt.Errorf("issuer %q is not the configured authority %q", d.Issuer, want)
	}
	for _, e := range []struct{ what, v string }{
		{"authorization_endpoint", d.AuthorizationEndpoint},
		{"token_endpoint", d.TokenEndpoint},
		{"jwks_uri", d.JWKSURI},
	} {
		if e.v == "" {
			return fmt.Errorf("%s is missing", e.what)
		}
		if _, err := p.checkURL(e.what, e.v); err != nil {
			return err
		}
	}
	if d.UserinfoEndpoint != "" {
		if _, err := p.checkURL("userinfo_endpoint", d.UserinfoEndpoint); err != nil {
			return err
		}
	}
	if p.authMethod(d) == "" {
		if p.cfg.ClientKey != nil {
			return fmt.Errorf("token_endpoint_auth_methods_supported %q has no private_key_jwt: the provider does not accept a client key; register a client secret there and configure it instead", d.TokenAuthMethods)
		}
		return fmt.Errorf("token_endpoint_auth_methods_supported %q has neither client_secret_basic nor client_secret_post", d.TokenAuthMethods)
	}
	if k := p.cfg.ClientKey; k != nil && len(d.TokenAuthSigningAlgs) > 0 && !slices.Contains(d.TokenAuthSigningAlgs, k.Algorithm()) {
		return fmt.Errorf("token_endpoint_auth_signing_alg_values_supported %q has no %s, the client key's algorithm: use a key of an algorithm listed", d.TokenAuthSigningAlgs, k.Algorithm())
	}
	return nil
}

// authMethod picks how to authenticate at the token endpoint:
// private_key_jwt with a client key (unless the document lists methods
// without it), none for a public client, else client_secret_basic (the
// default of OpenID Connect Discovery) unless only client_secret_post is
// offered.
func (p *Provider) authMethod(d *document) string {
	if p.cfg.ClientKey != nil {
		if len(d.TokenAuthMethods) == 0 || slices.Contains(d.TokenAuthMethods, "private_key_jwt") {
			return "private_key_jwt"
		}
		return ""
	}
	if p.cfg.ClientSecret == "" {
		return "none"
	}
	if len(d.TokenAuthMethods) == 0 || slices.Contains(d.TokenAuthMethods, "client_secret_basic") {
		return "client_secret_basic"
	}
	if slices.Contains(d.TokenAuthMethods, "client_secret_post") {
		return "client_secret_post"
	}
	return ""
}

// getJSON GETs a JSON document: 200 and JSON, or an error that says which.
// A bearer token, when given, goes in the Authorization header.
func (p *Provider) getJSON(ctx context.Context, where string, into any, bearer ...string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	req.Header.Set("Accept", "application/json")
	if len(bearer) == 1 {
		req.Header.Set("Authorization", "Bearer "+bearer[0])
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	switch {
	case err != nil:
		return fmt.Errorf("%w: read the answer: %w", ErrUnavailable, err)
	case ctx.Err() != nil: // an answer cut short by the deadline is no answer
		return fmt.Errorf("%w: %w", ErrUnavailable, context.Cause(ctx))
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("%w: HTTP %d", ErrUnavailable, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("%w: HTTP %d (a redirect is never followed)", ErrInvalid, resp.StatusCode)
	case len(body) > maxBody:
		return fmt.Errorf("%w: the answer is over %d bytes", ErrInvalid, maxBody)
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("%w: not the JSON expected: %w", ErrInvalid, err)
	}
	return nil
}

// key finds the JWKS key for kid (any signing key when kid is empty and
// there is exactly one), fetching the JWKS if none is held, and once more
// if the kid is unknown: the upstream may have rotated its keys.
func (p *Provider) key(ctx context.Context, d *document, kid, alg string) (*jose.JSONWebKey, error) {
	p.keysMu.RLock()
	keys, gen := p.keys, p.keysGen
	p.keysMu.RUnlock()
	if keys != nil {
		if k, err := pick(keys, kid, alg); err == nil || !errors.Is(err, errNoKey) {
			return k, err
		}
	}
	if err := lock(ctx, p.keysLock); err != nil {
		return nil, fmt.Errorf("keys of %q: %w", p.cfg.Name, err)
	}
	defer func() { <-p.keysLock }()
	p.keysMu.RLock()
	if p.keysGen != gen { // another caller fetched meanwhile: use its set
		keys = p.keys
		p.keysMu.RUnlock()
		return pick(keys, kid, alg)
	}
	p.keysMu.RUnlock()
	// Keys are decoded one by one: a key of a type go-jose does not know
	// (or an encryption key) must not make the others unusable.
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := p.getJSON(ctx, d.JWKSURI, &doc); err != nil {
		return nil, fmt.Errorf("keys of %q at %s: %w", p.cfg.Name, d.JWKSURI, err)
	}
	var set jose.JSONWebKeySet
	for _, raw := range doc.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(raw) == nil && usable(&k) {
			set.Keys = append(set.Keys, k)
		}
	}
	p.keysMu.Lock()
	p.keys, p.keysGen = &set, p.keysGen+1
	p.keysMu.Unlock()
	return pick(&set, kid, alg)
}

var errNoKey = errors.New("no such key")

// minRSABits is the smallest RSA key trusted.
const minRSABits = 2048

// usable keeps public signing keys of a sound size.
func usable(k *jose.JSONWebKey) bool {
	if !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
		return false
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		return pub.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return true
	}
	return false
}

// pick chooses the public signing key for kid and alg.
func pick(set *jose.JSONWebKeySet, kid, alg string) (*jose.JSONWebKey, error) {
	var found []*jose.JSONWebKey
	for i := range set.Keys {
		k := &set.Keys[i]
		if (kid != "" && k.KeyID != kid) || (k.Algorithm != "" && k.Algorithm != alg) {
			continue
		}
		found = append(found, k)
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0 && kid != "":
		return nil, fmt.Errorf("%w: kid %q with alg %s is not in the JWKS", errNoKey, kid, alg)
	case len(found) == 0:
		return nil, fmt.Errorf("%w: the ID token names no kid and the JWKS has no %s signing key", errNoKey, alg)
	}
	return nil, fmt.Errorf("the ID token's kid %q matches %d keys of the JWKS", kid, len(found))
}
