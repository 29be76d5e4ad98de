package jwtauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Options say which tokens a Validator accepts and where it gets the
// issuer's keys. Issuer (or JWKS) and Audience are required; every other
// field has a safe default.
type Options struct {
	// Issuer is the token service's issuer identifier, e.g.
	// "https://auth.example.com". It is compared exactly (byte for byte,
	// trailing slash included) with the iss claim and with the issuer
	// member of the discovery document read from
	// Issuer + "/.well-known/openid-configuration". Required unless JWKS is
	// given; with JWKS and no Issuer, iss is not checked.
	//
	// It must be https, except on a loopback host (localhost, 127.0.0.1,
	// ::1) or with UnsafeAllowHTTP.
	Issuer string

	// Audience is this API's identifier: the aud claim (a string or an
	// array) must contain it. Required, unless UnsafeSkipAudienceCheck.
	Audience string

	// UnsafeSkipAudienceCheck accepts tokens for any audience. It is for
	// tools that inspect tokens, never for an API: without the audience
	// check, a token issued for another API is accepted by this one.
	// Setting it together with Audience is an error.
	UnsafeSkipAudienceCheck bool

	// RequiredScopes must all be carried by every token (in the scope claim,
	// space-delimited or an array, or in scp as Azure AD sends it).
	// Validate refuses a token without them with ErrInsufficientScope, and
	// Middleware answers 403 insufficient_scope. See RequireScopes for
	// per-route scopes.
	RequiredScopes []string

	// Algorithms is the allow-list of signature algorithms; nil means
	// DefaultAlgorithms. Supported: RS256, RS384, RS512, PS256, PS384,
	// PS512, ES256, ES384, ES512 and EdDSA (Ed25519). New refuses none,
	// the HMAC algorithms (HS256, HS384, HS512) and anything else: an
	// API holds no shared secret, and a symmetric algorithm on a public key
	// is the classic forgery.
	Algorithms []string

	// TokenTypes are the accepted values of the typ header, compared
	// case-insensitively and with or without the "application/" prefix
	// (RFC 7515 §4.1.9). nil means []string{"at+jwt"} (RFC 9068 §2.1).
	// An entry "" accepts a token without typ. For providers that send
	// "JWT": []string{"at+jwt", "JWT"}.
	TokenTypes []string

	// ClockSkew is the leeway on exp, nbf and iat; 0 means
	// DefaultClockSkew (5 minutes). Negative is an error. There is no way to
	// ask for no leeway at all but a tiny positive value, e.g. time.Nanosecond.
	ClockSkew time.Duration

	// HTTPClient fetches the discovery document and the keys. nil means a
	// client with a 10 s timeout that follows up to 5 redirects within the
	// same scheme and host, and none elsewhere: keys come from where the
	// configuration says, and never over a downgrade to http. When the
	// given client has no Timeout, each fetch is still bounded to 10 s.
	HTTPClient *http.Client

	// JWKSURI skips discovery: the keys are fetched from here. Issuer is
	// still compared with iss.
	JWKSURI string

	// JWKS is a static JSON Web Key Set: no discovery, no fetching, no
	// refresh (for tests and tools). Issuer is then optional, and iss is not
	// checked when it is empty. New fails if it holds no usable key.
	JWKS []byte

	// MaxTokenSize bounds the token's length in bytes; 0 means 16 KiB.
	// Longer tokens are refused before anything is decoded.
	MaxTokenSize int

	// MinRefreshInterval is the least time between two key fetches forced
	// by tokens with an unknown kid; 0 means 1 minute. Scheduled refreshes
	// follow Cache-Control instead.
	MinRefreshInterval time.Duration

	// UnsafeAllowHTTP allows an http (not https) Issuer, JWKSURI or
	// jwks_uri on a host other than a loopback one. Anyone on the network
	// path could then substitute their own keys. For test networks only.
	UnsafeAllowHTTP bool

	// Introspection, if set, makes the Validator accept reference tokens
	// too: a token that is not a JWT (not three dot-separated parts) is
	// sent to the issuer's introspection endpoint (RFC 7662), with these
	// credentials, and the answer is checked as strictly as a JWT's claims.
	// JWTs are still validated locally, without a request. nil means JWTs
	// only. Issuer is then required.
	//
	// Answers are cached (see IntrospectionCacheTTL), so a revoked
	// reference token keeps working for up to IntrospectionCacheTTL after
	// its revocation.
	Introspection *Introspection

	// IntrospectionCacheTTL is how long an introspection answer is reused:
	// an active token's answer for at most this long and never past the
	// token's exp; an inactive token's for at most 5 seconds (and never
	// longer than this). 0 means DefaultIntrospectionCacheTTL (30 s);
	// negative is an error. It is the revocation bound: a reference token
	// revoked at the issuer is refused by this API at most this long
	// later. time.Nanosecond in effect turns the cache off (concurrent
	// requests with the same token still share one introspection).
	IntrospectionCacheTTL time.Duration

	// IntrospectionCacheSize bounds the number of cached introspection
	// answers; 0 means DefaultIntrospectionCacheSize (10 000: about 10 MB
	// with answers of about 1 KB); negative is an error. When it is full,
	// the answer that would expire first is dropped, so short-lived answers
	// for inactive tokens go before active ones.
	IntrospectionCacheSize int

	// Now is the clock for exp, nbf and iat, and for the lifetime of cached
	// introspection answers; nil means time.Now. (Key refresh timing always
	// uses the real clock.)
	Now func() time.Time

	// Logger, if set, receives key refreshes (Info when the keys change,
	// Debug otherwise), keys skipped as unusable and fetch failures (Warn
	// while cached keys still work, Error when there are none), and failed
	// introspections (Error when the endpoint refuses the API's own
	// credentials, Warn otherwise). Tokens and secrets are never logged.
	Logger *slog.Logger
}

// DefaultAlgorithms is the allow-list when Options.Algorithms is nil: the
// asymmetric algorithms in common use by OpenID providers.
var DefaultAlgorithms = []string{"RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"}

// DefaultClockSkew is the leeway on exp, nbf and iat when
// Options.ClockSkew is 0: 5 minutes, as ASP.NET Core's JwtBearer
// (TokenValidationParameters.ClockSkew).
const DefaultClockSkew = 5 * time.Minute

const (
	defaultMaxTokenSize       = 16 << 10
	defaultMinRefreshInterval = time.Minute
	defaultFetchTimeout       = 10 * time.Second
	maxRedirects              = 5
	// maxBodySize bounds the discovery document and the JWKS.
	maxBodySize = 1 << 20
	// minRSABits is the least RSA modulus accepted (NIST SP 800-131A).
	minRSABits = 2048
	// discoveryPath is appended to the issuer (OpenID Connect Discovery §4).
	discoveryPath = "/.well-known/openid-configuration"
)

// config is Options checked and with defaults filled in.
type config struct {
	issuer     string
	audience   string
	skipAud    bool
	required   []string
	allowed    [numAlgs]bool
	allowList  string // for messages: "RS256, PS256, ..."
	types      []string
	typesList  string // for messages
	skew       time.Duration
	client     *http.Client
	ownTimeout bool // the client has no Timeout: bound each fetch ourselves
	jwksURI    string
	static     []byte
	maxSize    int
	minRefresh time.Duration
	allowHTTP  bool
	now        func() time.Time
	log        *slog.Logger
	intro      *introConfig // nil: JWTs only
}

// check validates opts and fills in the defaults; it lists every problem
// at once.
func (opts *Options) check() (*config, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	c := &config{
		issuer:     opts.Issuer,
		audience:   opts.Audience,
		skipAud:    opts.UnsafeSkipAudienceCheck,
		required:   slices.Clone(opts.RequiredScopes),
		skew:       opts.ClockSkew,
		client:     opts.HTTPClient,
		jwksURI:    opts.JWKSURI,
		static:     opts.JWKS,
		maxSize:    opts.MaxTokenSize,
		minRefresh: opts.MinRefreshInterval,
		allowHTTP:  opts.UnsafeAllowHTTP,
		now:        opts.Now,
		log:        opts.Logger,
	}

	switch {
	case c.static != nil && c.jwksURI != "":
		bad("set JWKS (static keys) or JWKSURI (fetched keys), not both")
	case c.static == nil && c.issuer == "":
		bad("Issuer is empty: set it to the token service's issuer URL (or give static keys in JWKS)")
	case c.static == nil && c.jwksURI == "":
		if err := c.checkURL("Issuer", c.issuer); err != nil {
			bad("%v", err)
		} else if u, _ := url.Parse(c.issuer); u.RawQuery != "" || u.Fragment != "" {
			bad("Issuer %q has a query or fragment, which an issuer identifier never has", c.issuer)
		}
	}
	if c.jwksURI != "" {
		if err := c.checkURL("JWKSURI", c.jwksURI); err != nil {
			bad("%v", err)
		}
	}

	switch {
	case c.audience == "" && !c.skipAud:
		bad("Audience is empty: set it to this API's identifier, which tokens must carry in aud")
	case c.audience != "" && c.skipAud:
		bad("set Audience or UnsafeSkipAudienceCheck, not both")
	}
	for _, s := range c.required {
		if s == "" || strings.ContainsAny(s, " \t\r\n") {
			bad("RequiredScopes has %q, which is not a scope (one name, no spaces)", s)
		}
	}

	algs := opts.Algorithms
	if algs == nil {
		algs = DefaultAlgorithms
	}
	if len(algs) == 0 {
		bad("Algorithms is empty: leave it nil for DefaultAlgorithms")
	}
	var names []string
	for _, name := range algs {
		a, ok := algByName(name)
		switch {
		case ok:
			if !c.allowed[a] {
				c.allowed[a] = true
				names = append(names, name)
			}
		case strings.EqualFold(name, "none"):
			bad("algorithm %q is refused: an unsigned token proves nothing", name)
		case strings.HasPrefix(strings.ToUpper(name), "HS"):
			bad("algorithm %q is refused: it is symmetric (HMAC); an API must verify with the issuer's public keys, and a symmetric algorithm on a public key is the classic forgery", name)
		default:
			bad("algorithm %q is not supported (supported: %s)", name, strings.Join(algNames(), ", "))
		}
	}
	c.allowList = strings.Join(names, ", ")

	types := opts.TokenTypes
	if types == nil {
		types = []string{"at+jwt"}
	}
	if len(types) == 0 {
		bad(`TokenTypes is empty: leave it nil for at+jwt, or list the accepted typ values ("" for none)`)
	}
	var shown []string
	for _, t := range types {
		c.types = append(c.types, normalizeType(t))
		if t == "" {
			shown = append(shown, "no typ")
		} else {
			shown = append(shown, t)
		}
	}
	c.typesList = strings.Join(shown, " or ")

	orDefault(bad, "ClockSkew", &c.skew, DefaultClockSkew)
	orDefault(bad, "MaxTokenSize", &c.maxSize, defaultMaxTokenSize)
	orDefault(bad, "MinRefreshInterval", &c.minRefresh, defaultMinRefreshInterval)

	if c.client == nil {
		c.client = &http.Client{Timeout: defaultFetchTimeout, CheckRedirect: sameOriginRedirects}
	}
	c.ownTimeout = c.client.Timeout == 0
	c.intro = opts.checkIntrospection(c, bad)
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if len(problems) > 0 {
		return nil, errors.New("jwtauth: " + strings.Join(problems, "; "))
	}
	return c, nil
}

// checkURL requires an absolute https URL, or http on a loopback host or
// with UnsafeAllowHTTP.
func (c *config) checkURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("%s %q is not an absolute http(s) URL", field, raw)
	}
	if u.Scheme == "http" && !c.allowHTTP && !isLoopback(u.Hostname()) {
		return fmt.Errorf("%s %q is http: what goes over http (keys, introspection answers, the API's secret) can be read or replaced by anyone on the path; use https (or set UnsafeAllowHTTP on a test network)", field, raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameOriginRedirects is the default client's redirect policy: up to
// maxRedirects, all within the scheme and host of the first request.
func sameOriginRedirects(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return fmt.Errorf("redirect from %s://%s to %s://%s refused: keys are fetched only where the configuration says (give an HTTPClient to allow it)", first.Scheme, first.Host, req.URL.Scheme, req.URL.Host)
	}
	return nil
}

// normalizeType lowercases a typ value and drops an "application/" prefix.
func normalizeType(t string) string {
	t = strings.ToLower(t)
	return strings.TrimPrefix(t, "application/")
}

// orDefault sets *v to def when it is zero (not set), and reports a
// negative one as bad: the rule of every size and duration option.
func orDefault[T int | time.Duration](bad func(string, ...any), name string, v *T, def T) {
	switch {
	case *v < 0:
		bad("%s is negative (%v)", name, *v)
	case *v == 0:
		*v = def
	}
}
