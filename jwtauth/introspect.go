package jwtauth

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Introspection is what a Validator needs to check reference tokens at the
// issuer's introspection endpoint (RFC 7662): this API's own credentials
// there. In Signet (and IdentityServer) they are the API resource's name
// and one of its secrets.
type Introspection struct {
	// ClientID is the name the API authenticates with: the API resource's
	// name. Required.
	ClientID string

	// ClientSecret is the API's secret. Required. It is sent with
	// client_secret_basic (RFC 6749 §2.3.1): ClientID and ClientSecret are
	// each form-encoded, then joined with a colon in HTTP Basic
	// authentication. It is never logged, and String leaves it out.
	ClientSecret string

	// Endpoint is the introspection endpoint's URL. Empty means the
	// introspection_endpoint of the issuer's discovery document, which is
	// only read when neither JWKS nor JWKSURI is set; with either, Endpoint
	// is required. It must be https, except on a loopback host (or with
	// UnsafeAllowHTTP): the secret travels with every request.
	Endpoint string
}

// String describes the credentials without the secret, so that printing
// Options (%v, %+v) does not leak it.
func (i *Introspection) String() string {
	if i == nil {
		return "<nil>"
	}
	return fmt.Sprintf("{ClientID:%q ClientSecret:[redacted] Endpoint:%q}", i.ClientID, i.Endpoint)
}

// GoString is String, for %#v.
func (i *Introspection) GoString() string { return "&jwtauth.Introspection" + i.String() }

const (
	// DefaultIntrospectionCacheTTL is Options.IntrospectionCacheTTL's
	// default, and so the default revocation bound of reference tokens.
	DefaultIntrospectionCacheTTL = 30 * time.Second
	// DefaultIntrospectionCacheSize is Options.IntrospectionCacheSize's
	// default.
	DefaultIntrospectionCacheSize = 10_000

	// maxInactiveTTL bounds how long an inactive answer is reused. Reusing
	// it at all spares the issuer a client that retries a revoked or
	// expired token in a loop, or a flood of the same bad token; keeping it
	// short lets a token that the issuer did not know yet (a replica that
	// lags behind the one that issued it) work seconds later.
	maxInactiveTTL = 5 * time.Second
	// introspectionRetryAfter is the Retry-After, in seconds, of a 503 for
	// a failed introspection.
	introspectionRetryAfter = 5
)

// introConfig is Options.Introspection checked, with the cache's bounds.
type introConfig struct {
	endpoint string // "" until discovery says
	auth     string // the Authorization header
	ttl      time.Duration
	size     int
	client   *http.Client // cfg.client, without redirects
}

// checkIntrospection checks the introspection options; nil when there are
// none.
func (opts *Options) checkIntrospection(c *config, bad func(string, ...any)) *introConfig {
	in := opts.Introspection
	if in == nil {
		if opts.IntrospectionCacheTTL != 0 || opts.IntrospectionCacheSize != 0 {
			bad("IntrospectionCacheTTL or IntrospectionCacheSize is set, but Introspection is nil: set Introspection to accept reference tokens")
		}
		return nil
	}
	ic := &introConfig{endpoint: in.Endpoint, ttl: opts.IntrospectionCacheTTL, size: opts.IntrospectionCacheSize}
	if in.ClientID == "" {
		bad("Introspection.ClientID is empty: set it to the name this API authenticates with at the introspection endpoint (the API resource's name)")
	}
	if in.ClientSecret == "" {
		bad("Introspection.ClientSecret is empty: set it to the API resource's secret")
	}
	if c.issuer == "" {
		bad("Introspection needs Issuer: an introspection answer is accepted only with iss equal to it")
	}
	switch {
	case in.Endpoint != "":
		if err := c.checkURL("Introspection.Endpoint", in.Endpoint); err != nil {
			bad("%v", err)
		}
	case c.static != nil || c.jwksURI != "":
		bad("Introspection.Endpoint is empty, and with JWKS or JWKSURI no discovery document is read to find it: set Introspection.Endpoint")
	}
	orDefault(bad, "IntrospectionCacheTTL", &ic.ttl, DefaultIntrospectionCacheTTL)
	orDefault(bad, "IntrospectionCacheSize", &ic.size, DefaultIntrospectionCacheSize)
	ic.auth = "Basic " + base64.StdEncoding.EncodeToString(
		[]byte(url.QueryEscape(in.ClientID)+":"+url.QueryEscape(in.ClientSecret)))
	// A POST that carries the secret goes where the configuration says and
	// nowhere else.
	client := *c.client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ic.client = &client
	return ic
}

// MaxIntrospectionsInFlight bounds the introspections a Validator runs at
// once. Each distinct token costs one request to the endpoint, so a flood
// of made-up tokens would otherwise open as many requests at the provider;
// beyond the bound a request waits for a slot as long as its context lets
// it, then gets ErrIntrospectionFailed (503).
const MaxIntrospectionsInFlight = 64

// introspector is a Validator's introspection state: the answers cache and
// the introspections in flight, both keyed by SHA-256 of the token, so that
// no token is kept in memory longer than its request.
type introspector struct {
	cfg *introConfig
	// slots holds one value per introspection in flight.
	slots chan struct{}

	mu       sync.Mutex
	entries  map[[32]byte]*introEntry
	byExpiry expiryHeap
	inflight map[[32]byte]*introCall
	calls    sync.WaitGroup // the introspections in flight, for Close

	// Under the Validator's mu: the endpoint found by discovery, or why
	// there is none.
	discovered string
	missing    string
}

func newIntrospector(c *introConfig) *introspector {
	return &introspector{
		cfg:      c,
		slots:    make(chan struct{}, MaxIntrospectionsInFlight),
		entries:  make(map[[32]byte]*introEntry),
		inflight: make(map[[32]byte]*introCall),
	}
}

// introEntry is a cached answer: the claims of an active token, or the
// refusal of an inactive one.
type introEntry struct {
	key     [32]byte
	claims  *Claims
	refusal *ValidationError
	expires time.Time
	index   int // in byExpiry
}

// introCall is one introspection, which every request with the same token
// waits for (a single flight).
type introCall struct {
	done    chan struct{}
	waiters int // under introspector.mu; for tests
	claims  *Claims
	err     *ValidationError
}

// expiryHeap orders the entries by expiry, soonest first: the entry to
// drop when the cache is full.
type expiryHeap []*introEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *expiryHeap) Push(x any) {
	e := x.(*introEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// get returns the live entry for key; an expired one is dropped. Under mu.
func (in *introspector) get(key [32]byte, now time.Time) *introEntry {
	e := in.entries[key]
	if e == nil {
		return nil
	}
	if !now.Before(e.expires) {
		in.remove(e)
		return nil
	}
	return e
}

func (in *introspector) remove(e *introEntry) {
	delete(in.entries, e.key)
	heap.Remove(&in.byExpiry, e.index)
}

// put caches e, dropping the entries that expire first while the cache is
// full. Under mu.
func (in *introspector) put(e *introEntry) {
	if old := in.entries[e.key]; old != nil {
		in.remove(old)
	}
	for len(in.entries) >= in.cfg.size {
		in.remove(in.byExpiry[0])
	}
	in.entries[e.key] = e
	heap.Push(&in.byExpiry, e)
}

// isJWT tells the tokens that are validated locally: three dot-separated
// parts, as a compact JWS has. Anything else is a reference token.
func isJWT(token string) bool {
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return false
	}
	d2 := strings.IndexByte(token[d1+1:], '.')
	return d2 >= 0 && strings.IndexByte(token[d1+1+d2+1:], '.') < 0
}

// introspect checks a reference token: from the cache, or by joining or
// starting the introspection of the same token.
func (v *Validator) introspect(ctx context.Context, token string, extra []string) (*Claims, *ValidationError) {
	if err := checkReferenceToken(token, v.cfg.maxSize); err != nil {
		return nil, err
	}
	in := v.intro
	key := sha256.Sum256([]byte(token))
	in.mu.Lock()
	if e := in.get(key, v.cfg.now()); e != nil {
		claims, refusal := e.claims, e.refusal
		in.mu.Unlock()
		return v.judge(claims, refusal, extra)
	}
	call := in.inflight[key]
	if call == nil {
		// A slot first, waited for without the lock; then the cache and
		// the flights again, which may have changed meanwhile.
		in.mu.Unlock()
		select {
		case in.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, &ValidationError{Reason: ErrIntrospectionFailed, Err: ctx.Err(),
				Detail: fmt.Sprintf("%d introspections are in flight, the most at once; stopped waiting for one to end: %v", MaxIntrospectionsInFlight, ctx.Err())}
		}
		in.mu.Lock()
		if e := in.get(key, v.cfg.now()); e != nil {
			claims, refusal := e.claims, e.refusal
			in.mu.Unlock()
			<-in.slots
			return v.judge(claims, refusal, extra)
		}
		if call = in.inflight[key]; call != nil {
			<-in.slots
		} else {
			// Checked under mu, which Close takes after cancelling: no
			// introspection starts once Close waits for them.
			if v.ctx.Err() != nil {
				in.mu.Unlock()
				<-in.slots
				return nil, newError(ErrIntrospectionFailed, "the Validator is closed: it introspects no more tokens")
			}
			call = &introCall{done: make(chan struct{})}
			in.inflight[key] = call
			in.calls.Add(1)
			go v.runIntrospection(key, token, call)
		}
	}
	call.waiters++
	in.mu.Unlock()
	select {
	case <-call.done:
	case <-ctx.Done():
		select {
		case <-call.done: // the answer came as ctx ended: take it
		default:
			return nil, &ValidationError{Reason: ErrIntrospectionFailed, Err: ctx.Err(),
				Detail: fmt.Sprintf("stopped waiting for the introspection endpoint: %v", ctx.Err())}
		}
	}
	if call.err != nil && errors.Is(call.err, ErrIntrospectionFailed) {
		return nil, call.err.clone()
	}
	return v.judge(call.claims, call.err, extra)
}

// judge applies the checks of a JWT's claims to an introspection answer.
// They run on every request, cached answer or not: the time passes, and
// each route has its own scopes.
func (v *Validator) judge(claims *Claims, refusal *ValidationError, extra []string) (*Claims, *ValidationError) {
	if refusal != nil {
		return nil, refusal.clone()
	}
	c := claims.clone() // the cached claims are shared: the caller gets its own
	if err := v.checkClaims(c, extra); err != nil {
		return nil, err
	}
	return c, nil
}

// runIntrospection asks the endpoint about one token, caches the answer,
// and hands it to every request waiting for it.
func (v *Validator) runIntrospection(key [32]byte, token string, call *introCall) {
	in := v.intro
	defer in.calls.Done()
	defer func() { <-in.slots }()
	ctx := v.ctx
	if v.cfg.ownTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, v.tuning.fetchTimeout)
		defer cancel()
	}
	// The answer is as old as the question: the TTL counts from here, so
	// that a slow endpoint does not stretch the revocation bound.
	asked := v.cfg.now()
	claims, refusal, failure := v.askEndpoint(ctx, token)

	now := v.cfg.now()
	in.mu.Lock()
	delete(in.inflight, key)
	switch {
	case failure != nil:
		// Not cached: the next request tries again.
	case claims != nil:
		if expires := minTime(asked.Add(in.cfg.ttl), claims.Expiry); expires.After(now) {
			in.put(&introEntry{key: key, claims: claims, expires: expires})
		}
	default:
		if expires := asked.Add(min(in.cfg.ttl, maxInactiveTTL)); expires.After(now) {
			in.put(&introEntry{key: key, refusal: refusal, expires: expires})
		}
	}
	in.mu.Unlock()

	call.claims, call.err = claims, refusal
	if failure != nil {
		call.err = failure
	}
	close(call.done)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// askEndpoint posts the token to the introspection endpoint. It returns
// the claims of an active token, or the refusal of an inactive or unusable
// one (both cached), or a failure (not cached: the token may be fine).
func (v *Validator) askEndpoint(ctx context.Context, token string) (claims *Claims, refusal, failure *ValidationError) {
	endpoint, err := v.introspectionEndpoint(ctx)
	if err != nil {
		return nil, nil, v.introFailure(slog.LevelWarn, err, "cannot introspect a token: the introspection endpoint is unknown")
	}
	form := "token=" + url.QueryEscape(token) + "&token_type_hint=access_token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form))
	if err != nil {
		return nil, nil, v.introFailure(slog.LevelError, fmt.Errorf("POST %s: %w", endpoint, err), "cannot introspect a token")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", v.intro.cfg.auth)
	resp, err := v.intro.cfg.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL is the endpoint, said below; the token is in the body, never in it
		}
		return nil, nil, v.introFailure(slog.LevelWarn, fmt.Errorf("POST %s: %w", endpoint, err), "introspection failed")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize+1))
	switch {
	case err != nil:
		return nil, nil, v.introFailure(slog.LevelWarn, fmt.Errorf("POST %s: reading the answer: %w", endpoint, err), "introspection failed")
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, nil, v.introFailure(slog.LevelError,
			fmt.Errorf("POST %s: status %s%s: the introspection endpoint refuses this API's own credentials; check Introspection.ClientID and ClientSecret (the API resource's name and one of its secrets)",
				endpoint, resp.Status, errorCode(body)),
			"introspection refused: this API's credentials are wrong")
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, nil, v.introFailure(slog.LevelError,
			fmt.Errorf("POST %s: status %s to %s: introspection requests are not redirected; set Introspection.Endpoint to where the token service answers",
				endpoint, resp.Status, quote(resp.Header.Get("Location"))),
			"introspection failed")
	case resp.StatusCode != http.StatusOK:
		return nil, nil, v.introFailure(slog.LevelWarn, fmt.Errorf("POST %s: status %s%s", endpoint, resp.Status, errorCode(body)), "introspection failed")
	case len(body) > maxBodySize:
		return nil, nil, v.introFailure(slog.LevelError, fmt.Errorf("POST %s: the answer is over %d bytes", endpoint, maxBodySize), "introspection failed")
	}
	claims, refusal, err = parseIntrospection(body)
	if err != nil {
		return nil, nil, v.introFailure(slog.LevelError, fmt.Errorf("POST %s: the answer is not RFC 7662: %w", endpoint, err), "introspection failed")
	}
	return claims, refusal, nil
}

// introFailure logs a failed introspection and makes its error. Neither
// holds the token.
func (v *Validator) introFailure(level slog.Level, err error, msg string) *ValidationError {
	v.cfg.log.LogAttrs(v.ctx, level, "jwtauth: "+msg, slog.String("error", err.Error()))
	return &ValidationError{Reason: ErrIntrospectionFailed, Err: err,
		Detail: fmt.Sprintf("the token could not be checked at the introspection endpoint: %v", err)}
}

// errorCode reads the OAuth error code of an error answer, for messages:
// `, error "invalid_client"`, or nothing.
func errorCode(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error == "" {
		return ""
	}
	return ", error " + quote(e.Error)
}

// introspectionEndpoint returns Introspection.Endpoint, or the one of the
// discovery document. If discovery has not told it yet, it forces a fetch
// (rate-limited as a fetch for an unknown kid) and waits for it.
func (v *Validator) introspectionEndpoint(ctx context.Context) (string, error) {
	if ep := v.intro.cfg.endpoint; ep != "" {
		return ep, nil
	}
	if ep, err, read := v.discoveredEndpoint(); read {
		return ep, err
	}
	if c := v.startFetch(true); c != nil {
		select {
		case <-c.done:
		case <-ctx.Done():
		}
	}
	ep, err, _ := v.discoveredEndpoint()
	return ep, err
}

// discoveredEndpoint is the endpoint of the discovery document, or why it
// is not known; read is false when no discovery document was read yet.
func (v *Validator) discoveredEndpoint() (ep string, err error, read bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	switch {
	case v.intro.discovered != "":
		return v.intro.discovered, nil, true
	case v.intro.missing != "":
		return "", errors.New(v.intro.missing), true
	case v.lastErr != nil:
		return "", fmt.Errorf("the discovery document, which names the introspection endpoint, could not be read: %w", v.lastErr), false
	}
	return "", errors.New("the discovery document, which names the introspection endpoint, has not been read yet"), false
}

// noteDiscovery records the introspection_endpoint of a discovery document
// read from u, when one is needed. Under the Validator's mu.
func (v *Validator) noteDiscovery(u, endpoint string) {
	if v.intro == nil || v.intro.cfg.endpoint != "" {
		return
	}
	v.intro.discovered, v.intro.missing = "", ""
	if endpoint == "" {
		v.intro.missing = fmt.Sprintf("the discovery document at %s has no introspection_endpoint: set Introspection.Endpoint, or enable introspection at the token service", u)
		return
	}
	if err := v.cfg.checkURL("its introspection_endpoint", endpoint); err != nil {
		v.intro.missing = fmt.Sprintf("the discovery document at %s: %v", u, err)
		return
	}
	v.intro.discovered = endpoint
}

// needsDiscovery reports whether the discovery document must be read again
// for the introspection endpoint. Under the Validator's mu.
func (v *Validator) needsDiscovery() bool {
	return v.intro != nil && v.intro.cfg.endpoint == "" && v.intro.discovered == ""
}

// parseIntrospection reads an introspection answer (RFC 7662 §2.2): a JSON
// object whose active member is a boolean, and, when it is true, the
// token's claims with their registered types, as in a JWT. An error means
// the answer is not RFC 7662 (so the token could not be judged); refusal,
// that the token is not to be accepted whatever the time or the route.
func parseIntrospection(body []byte) (claims *Claims, refusal *ValidationError, err error) {
	c, verr := parseClaims(body)
	if verr != nil {
		return nil, nil, errors.New(strings.Replace(verr.Detail, "token's payload", "the answer", 1))
	}
	switch string(c.Raw["active"]) {
	case "false":
		return nil, newError(ErrInactive, "the token service says the token is not active: it is revoked, expired, unknown, or not meant for this API"), nil
	case "true":
	default:
		return nil, nil, errors.New(`the answer has no boolean "active" member`)
	}
	delete(c.Raw, "active") // the claims are the token's, as a JWT would carry them
	if _, ok := c.Raw["token_type"]; ok {
		var tt string
		if json.Unmarshal(c.Raw["token_type"], &tt) != nil {
			return nil, nil, errors.New("the answer's token_type is not a string")
		}
		// A token of another type (a refresh token, a DPoP-bound token) is
		// not a Bearer access token, whatever else is true of it.
		if !strings.EqualFold(tt, "Bearer") && !strings.EqualFold(tt, "access_token") {
			return nil, newError(ErrWrongType, fmt.Sprintf("the token service says the token is of type %s, not a Bearer access token", quote(tt))), nil
		}
	}
	if c.Expiry.IsZero() {
		return nil, newError(ErrMalformed, "the token service's answer has no exp: a token without an end is not accepted (nor cached)"), nil
	}
	return c, nil, nil
}

// checkReferenceToken refuses, before any request, what cannot be a Bearer
// token: empty, over MaxTokenSize, or with a character outside RFC 6750
// §2.1's b64token.
func checkReferenceToken(token string, maxSize int) *ValidationError {
	switch {
	case token == "":
		return newError(ErrMalformed, "token is empty")
	case len(token) > maxSize:
		return newError(ErrMalformed, fmt.Sprintf("token is %d bytes, over the limit of %d", len(token), maxSize))
	}
	pad := strings.IndexByte(token, '=')
	if pad < 0 {
		pad = len(token)
	} else if pad == 0 || strings.Trim(token[pad:], "=") != "" {
		return newError(ErrMalformed, fmt.Sprintf("token has '=' at byte %d: a Bearer token may only end with it (RFC 6750 §2.1)", pad))
	}
	for i := range pad {
		c := token[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			return newError(ErrMalformed, fmt.Sprintf("token has a character a Bearer token cannot have (RFC 6750 §2.1) at byte %d", i))
		}
	}
	return nil
}

func (e *ValidationError) clone() *ValidationError {
	d := *e
	d.Known, d.Scopes = slices.Clone(e.Known), slices.Clone(e.Scopes)
	return &d
}

func (c *Claims) clone() *Claims {
	d := *c
	d.Audience, d.Scopes, d.Raw = slices.Clone(c.Audience), slices.Clone(c.Scopes), maps.Clone(c.Raw)
	return &d
}
