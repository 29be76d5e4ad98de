package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Validator validates access tokens of one issuer for one audience. It is
// safe for concurrent use; make one per API at startup and Close it at
// shutdown.
type Validator struct {
	cfg    *config
	tuning tuning
	static bool          // keys from Options.JWKS: never fetched
	intro  *introspector // nil without Options.Introspection

	keys atomic.Pointer[keySet] // nil until the first load

	ctx      context.Context // the Validator's lifetime: ends at Close
	cancel   context.CancelFunc
	wake     chan struct{} // a fetch finished: the loop reschedules
	loopDone chan struct{}
	fetches  sync.WaitGroup
	close    sync.Once

	mu         sync.Mutex
	inflight   *fetchCall
	lastForced time.Time // when the last fetch forced by a miss started
	lastErr    error     // why the last fetch failed; nil if it succeeded
	failures   int       // consecutive failed fetches
	refreshAt  time.Time // when the loop fetches next
	discovered string    // jwks_uri from discovery
	etag       string    // of the last JWKS read from etagURI
	etagURI    string
	bodySum    [32]byte // of the last JWKS body, to log skipped keys once
}

// New checks opts and loads the issuer's keys: the discovery document at
// Issuer + "/.well-known/openid-configuration" (whose issuer member must
// equal Issuer), then its jwks_uri; or JWKSURI directly; or the static
// JWKS. Bad options are an error.
//
// New waits for the keys at most until ctx ends or the first fetch times
// out (10 s, or HTTPClient's Timeout). If the issuer cannot be
// reached, New still returns a Validator and no error, because an API must
// be able to start before its identity provider: the Validator keeps
// trying in the background (with backoff), Ready explains what failed, and
// Validate returns ErrKeysUnavailable until the keys load. The one fetch
// failure New does report is a discovery document that names another
// issuer, which is a configuration mistake.
//
// The keys are then refreshed in the background as the JWKS's
// Cache-Control max-age says (bounded to between 1 minute and 24 hours; 1
// hour when there is none), until Close.
func New(ctx context.Context, opts Options) (*Validator, error) {
	return newValidator(ctx, opts, defaultTuning())
}

func newValidator(ctx context.Context, opts Options, t tuning) (*Validator, error) {
	cfg, err := opts.check()
	if err != nil {
		return nil, err
	}
	v := &Validator{
		cfg:      cfg,
		tuning:   t,
		static:   cfg.static != nil,
		wake:     make(chan struct{}, 1),
		loopDone: make(chan struct{}),
	}
	if cfg.intro != nil {
		v.intro = newIntrospector(cfg.intro)
	}
	v.ctx, v.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if v.static {
		close(v.loopDone)
		ks, err := parseKeySet(cfg.static)
		if err != nil {
			v.cancel()
			return nil, fmt.Errorf("jwtauth: JWKS: %w", err)
		}
		for _, s := range ks.skipped {
			cfg.log.LogAttrs(ctx, slog.LevelWarn, "jwtauth: key skipped", slog.String("reason", s))
		}
		if len(ks.keys) == 0 {
			v.cancel()
			return nil, fmt.Errorf("jwtauth: JWKS has no usable key (skipped: %s)", orNone(ks.skipped, "; "))
		}
		v.keys.Store(ks)
		return v, nil
	}
	first := v.startFetch(false)
	go v.loop()
	select {
	case <-first.done:
		if mismatch, ok := errors.AsType[*issuerMismatchError](first.err); ok {
			v.Close()
			return nil, fmt.Errorf("jwtauth: %w", mismatch)
		}
	case <-ctx.Done():
	}
	return v, nil
}

// Close stops the background refresh, and waits for it and for the
// introspections in flight. Validate keeps working with the keys already
// loaded and the introspection answers already cached, but fetches and
// introspects no more. Close may be called more than once.
func (v *Validator) Close() {
	v.close.Do(func() {
		// Under mu, so that no fetch starts (startFetch checks ctx under
		// mu) between the cancel and the Wait.
		v.mu.Lock()
		v.cancel()
		v.mu.Unlock()
		if v.intro != nil {
			// Likewise for introspections: they start under intro.mu.
			v.intro.mu.Lock()
			//lint:ignore SA2001 an empty critical section is the barrier
			v.intro.mu.Unlock()
			v.intro.calls.Wait()
		}
		<-v.loopDone
		v.fetches.Wait()
	})
}

// Ready reports whether the keys are loaded: nil once they are (even if a
// later refresh fails: the cached keys keep working), otherwise a
// *ValidationError with ErrKeysUnavailable that says which URL failed and
// why. Use it in a readiness probe.
//
// With Options.Introspection and no Introspection.Endpoint, Ready also
// requires the discovery document to have named the introspection
// endpoint, and otherwise returns a *ValidationError with
// ErrIntrospectionFailed that says why.
func (v *Validator) Ready() error {
	if v.keys.Load() == nil {
		return v.unavailable()
	}
	if v.intro != nil && v.intro.cfg.endpoint == "" {
		if _, err, _ := v.discoveredEndpoint(); err != nil {
			return &ValidationError{Reason: ErrIntrospectionFailed, Err: err, Detail: err.Error()}
		}
	}
	return nil
}

// KeyIDs lists the kids of the keys loaded now, in the order of the JWKS.
// Keys without a kid are not listed.
func (v *Validator) KeyIDs() []string {
	ks := v.keys.Load()
	if ks == nil {
		return nil
	}
	return slices.Clone(ks.ids)
}

// Validate checks a compact JWT access token (without the "Bearer " prefix,
// and without surrounding whitespace, which it refuses) and returns its
// claims, or a *ValidationError whose Reason says why not.
//
// With Options.Introspection, a token that is not a JWT (not three
// dot-separated parts) is a reference token: Validate takes the answer of
// the issuer's introspection endpoint from the cache, or asks for it (one
// request per token however many callers wait for it), and checks it as
// the claims of a JWT: active (else ErrInactive), then iss, aud, exp, nbf,
// iat and the required scopes as below. When the endpoint cannot answer,
// the error is ErrIntrospectionFailed (Middleware: 503). A JWT is never
// introspected.
//
// The checks run in this order, and the first failure is returned: size;
// three base64url parts and a JSON header (ErrMalformed); alg in the
// allow-list (ErrAlgorithmNotAllowed); typ (ErrWrongType); the key named by
// kid, or without kid every key that fits alg (ErrUnknownKey, after at most
// one refetch); the key fits alg, by type, curve and its own alg
// (ErrAlgorithmNotAllowed); the signature (ErrBadSignature). Only then are
// the claims read: iss (ErrWrongIssuer), aud (ErrWrongAudience), exp
// (required; ErrExpired), nbf and iat (ErrNotYetValid), and the required
// scopes (ErrInsufficientScope).
//
// Validate waits for a key fetch only when the token names an unknown kid
// or no key is loaded yet, and then at most until ctx ends or the fetch
// times out.
func (v *Validator) Validate(ctx context.Context, token string) (*Claims, error) {
	c, err := v.validate(ctx, token, nil)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (v *Validator) validate(ctx context.Context, token string, extra []string) (*Claims, *ValidationError) {
	if v.intro != nil && !isJWT(token) {
		return v.introspect(ctx, token, extra)
	}
	var buf [1024]byte // room for the header and signature: they stay on the stack
	t, err := parseCompact(token, v.cfg.maxSize, buf[:])
	if err != nil {
		return nil, err
	}
	c, err := v.check(ctx, &t, extra)
	if err != nil && t.hasKid {
		err.KeyID = string(t.kid)
	}
	return c, err
}

func (v *Validator) check(ctx context.Context, t *jws, extra []string) (*Claims, *ValidationError) {
	a, ok := algByBytes(t.algName)
	if !ok || !v.cfg.allowed[a] {
		return nil, newError(ErrAlgorithmNotAllowed, fmt.Sprintf("algorithm %s is not allowed (allowed: %s)", word(string(t.algName)), v.cfg.allowList))
	}
	if err := v.checkType(t); err != nil {
		return nil, err
	}
	if err := v.verify(ctx, t, a); err != nil {
		return nil, err
	}
	payload := make([]byte, b64.DecodedLen(len(t.payloadEnc)))
	n, err := b64.Decode(payload, t.payloadEnc)
	if err != nil {
		return nil, newError(ErrMalformed, fmt.Sprintf("token's payload is not base64url: %v", err))
	}
	c, verr := parseClaims(payload[:n:n])
	if verr != nil {
		return nil, verr
	}
	if err := v.checkClaims(c, extra); err != nil {
		return nil, err
	}
	return c, nil
}

func (v *Validator) checkType(t *jws) *ValidationError {
	for _, want := range v.cfg.types {
		if want == "" && !t.hasTyp || want != "" && t.hasTyp && typeMatches(t.typ, want) {
			return nil
		}
	}
	if !t.hasTyp {
		return newError(ErrWrongType, fmt.Sprintf(`token has no typ, expected %s (set TokenTypes to accept it: an entry "" accepts a token without typ)`, v.cfg.typesList))
	}
	return newError(ErrWrongType, fmt.Sprintf("typ is %s, expected %s (set TokenTypes to accept it)", quote(string(t.typ)), v.cfg.typesList))
}

// verify finds the token's key and checks the signature. A kid that is not
// among the keys (or, without kid, no key that fits alg) forces one
// refetch, shared by every request that waits for it.
func (v *Validator) verify(ctx context.Context, t *jws, a alg) *ValidationError {
	ks := v.keys.Load()
	if ks != nil {
		if found, err := tryKeys(ks, t, a); found {
			return err
		}
	}
	waitErr := v.refreshForMiss(ctx)
	if ks = v.keys.Load(); ks != nil {
		if found, err := tryKeys(ks, t, a); found {
			return err
		}
	}
	return v.missError(ks, t, a, waitErr)
}

// tryKeys verifies with the keys that the token can use. found is false
// when there is none, which may mean the keys need refreshing.
func tryKeys(ks *keySet, t *jws, a alg) (found bool, err *ValidationError) {
	if t.hasKid {
		cands := ks.byKID[string(t.kid)]
		if len(cands) == 0 {
			return false, nil
		}
		var misfit *key
		tried := false
		for _, k := range cands {
			if !k.kind.fits(a) || k.alg != "" && k.alg != a.String() {
				misfit = k
				continue
			}
			tried = true
			if k.verify(a, t.input, t.sig) {
				return true, nil
			}
		}
		if !tried {
			return true, newError(ErrAlgorithmNotAllowed, fmt.Sprintf("algorithm %s does not fit key %s; the signature was not tried", a, misfit.describe()))
		}
		return true, newError(ErrBadSignature, fmt.Sprintf("the signature does not verify with key %s", quote(string(t.kid))))
	}
	tried := 0
	for _, k := range ks.keys {
		if !k.kind.fits(a) || k.alg != "" && k.alg != a.String() {
			continue
		}
		tried++
		if k.verify(a, t.input, t.sig) {
			return true, nil
		}
	}
	if tried == 0 {
		return false, nil
	}
	return true, newError(ErrBadSignature, fmt.Sprintf("the token has no kid, and the signature verifies with no key that fits %s (%d tried)", a, tried))
}

// refreshForMiss joins the fetch in flight, or starts one if the rate limit
// allows, and waits for it or for ctx. It returns ctx's error if ctx ended
// first.
func (v *Validator) refreshForMiss(ctx context.Context) error {
	c := v.startFetch(true)
	if c == nil {
		return nil
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (v *Validator) missError(ks *keySet, t *jws, a alg, waitErr error) *ValidationError {
	if ks == nil {
		err := v.unavailable()
		if waitErr != nil {
			err.Detail += fmt.Sprintf(" (stopped waiting for the fetch in progress: %v)", waitErr)
		}
		return err
	}
	what := "kid " + quote(string(t.kid))
	if !t.hasKid {
		what = "the token has no kid, and a key that fits " + a.String()
	}
	v.mu.Lock()
	lastErr := v.lastErr
	v.mu.Unlock()
	switch {
	case waitErr != nil:
		return &ValidationError{Reason: ErrKeysUnavailable, Err: waitErr,
			Detail: fmt.Sprintf("%s is not among the cached keys, and the refresh did not finish in time: %v", what, waitErr)}
	case lastErr != nil:
		return &ValidationError{Reason: ErrKeysUnavailable, Err: lastErr,
			Detail: fmt.Sprintf("%s is not among the cached keys (%s), and they could not be refreshed: %v", what, orNone(ks.ids, ", "), lastErr)}
	}
	whose := "the issuer's keys"
	if v.static {
		whose = "the keys of Options.JWKS"
	}
	detail := fmt.Sprintf("%s is not among %s, which are: %s", what, whose, orNone(ks.ids, ", "))
	if !t.hasKid {
		detail = fmt.Sprintf("the token has no kid, and none of %s fits %s", whose, a)
	}
	return &ValidationError{Reason: ErrUnknownKey, Detail: detail, Known: slices.Clone(ks.ids)}
}

// unavailable explains why no key is loaded.
func (v *Validator) unavailable() *ValidationError {
	v.mu.Lock()
	lastErr := v.lastErr
	v.mu.Unlock()
	switch {
	case lastErr != nil:
		return &ValidationError{Reason: ErrKeysUnavailable, Err: lastErr,
			Detail: fmt.Sprintf("the issuer's keys could not be loaded (retrying in the background): %v", lastErr)}
	case v.ctx.Err() != nil:
		return newError(ErrKeysUnavailable, "the issuer's keys were never loaded, and the Validator is closed")
	}
	return newError(ErrKeysUnavailable, "the issuer's keys are not loaded yet: the first fetch has not finished")
}

// checkClaims checks the claims of a token whose signature verified.
func (v *Validator) checkClaims(c *Claims, extra []string) *ValidationError {
	cfg := v.cfg
	if cfg.issuer != "" && c.Issuer != cfg.issuer {
		if _, ok := c.Raw["iss"]; !ok {
			return newError(ErrWrongIssuer, fmt.Sprintf("token has no issuer (iss), expected %s", quote(cfg.issuer)))
		}
		return newError(ErrWrongIssuer, fmt.Sprintf("issuer is %s, expected %s", quote(c.Issuer), quote(cfg.issuer)))
	}
	if !cfg.skipAud && !slices.Contains(c.Audience, cfg.audience) {
		if len(c.Audience) == 0 {
			return newError(ErrWrongAudience, fmt.Sprintf("token has no audience (aud), expected %s", quote(cfg.audience)))
		}
		return newError(ErrWrongAudience, fmt.Sprintf("audience is %s, expected %s", quoteList(c.Audience), quote(cfg.audience)))
	}
	now := cfg.now()
	switch {
	case c.Expiry.IsZero():
		return newError(ErrMalformed, "token has no expiry (exp), which access tokens must have (RFC 9068 §2.2)")
	case !now.Before(c.Expiry.Add(cfg.skew)):
		return newError(ErrExpired, fmt.Sprintf("token expired %v ago (exp %s; clock skew %v)",
			now.Sub(c.Expiry).Round(time.Second), c.Expiry.Format(time.RFC3339), cfg.skew))
	case !c.NotBefore.IsZero() && now.Add(cfg.skew).Before(c.NotBefore):
		return newError(ErrNotYetValid, fmt.Sprintf("token is not valid until %s, %v from now (nbf; clock skew %v)",
			c.NotBefore.Format(time.RFC3339), c.NotBefore.Sub(now).Round(time.Second), cfg.skew))
	case !c.IssuedAt.IsZero() && now.Add(cfg.skew).Before(c.IssuedAt):
		return newError(ErrNotYetValid, fmt.Sprintf("token was issued %v in the future (iat %s; clock skew %v): is a clock wrong?",
			c.IssuedAt.Sub(now).Round(time.Second), c.IssuedAt.Format(time.RFC3339), cfg.skew))
	}
	if err := missingScope(c, cfg.required, extra); err != nil {
		return err
	}
	return nil
}

// missingScope checks that c has every scope of required and extra.
func missingScope(c *Claims, required, extra []string) *ValidationError {
	for _, list := range [][]string{required, extra} {
		for _, s := range list {
			if !c.HasScope(s) {
				all := append(slices.Clone(required), extra...)
				return &ValidationError{Reason: ErrInsufficientScope, Scopes: all,
					Detail: fmt.Sprintf("missing scope %s (has: %s)", quote(s), orNone(c.Scopes, " "))}
			}
		}
	}
	return nil
}

// retryAfter is the number of seconds a client should wait when the keys
// are unavailable: until the next fetch, between 1 and 60.
func (v *Validator) retryAfter() int {
	v.mu.Lock()
	at := v.refreshAt
	v.mu.Unlock()
	s := int((time.Until(at) + time.Second - 1) / time.Second)
	return min(max(s, 1), 60)
}
