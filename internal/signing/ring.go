package signing

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Ring is the set of keys a server publishes and the one it signs with.
// It is safe for concurrent use, and its hot methods (Sign, JWKS) do no
// more than an atomic load and a time comparison beyond their own work.
type Ring struct {
	candidates []*Key // can sign, in order of preference
	validation []*Key
	retention  time.Duration
	now        func() time.Time
	logger     *slog.Logger

	mu    sync.Mutex
	state atomic.Pointer[ringState]
}

// ringState is what holds until the next change of validity.
type ringState struct {
	signer    *Key
	published []*Key
	jwks      []byte
	etag      string
	until     time.Time
}

// RingOptions tune a ring.
type RingOptions struct {
	// Retention is how long a certificate stays published after it
	// expires, so that tokens it signed shortly before keep validating:
	// the longest access token lifetime.
	Retention time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger hears when the signing key or the published set changes as
	// certificates come into or go out of their validity; nil: no log.
	Logger *slog.Logger
}

// NewRing makes a ring. signing holds the keys of the signing credential in
// order of preference (keys without a private key are published only);
// validation the keys of validationKeys.
func NewRing(signing, validation []*Key, opts RingOptions) (*Ring, error) {
	r := &Ring{validation: validation, retention: opts.Retention, now: opts.Now, logger: opts.Logger}
	if r.now == nil {
		r.now = time.Now
	}
	var publicOnly []*Key
	for _, k := range signing {
		if k.Signer == nil {
			publicOnly = append(publicOnly, k)
			continue
		}
		if err := k.prepareSigner(); err != nil {
			return nil, err
		}
		r.candidates = append(r.candidates, k)
	}
	if len(r.candidates) == 0 {
		return nil, errors.New("no key can sign")
	}
	r.validation = append(publicOnly, r.validation...)
	st, err := r.compute(r.now())
	if err != nil {
		return nil, err
	}
	r.state.Store(st)
	return r, nil
}

// current returns the state for now, recomputing it when a certificate
// has come into or gone out of its validity window since.
func (r *Ring) current() *ringState {
	st := r.state.Load()
	now := r.now()
	if now.Before(st.until) {
		return st
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st = r.state.Load(); now.Before(st.until) {
		return st
	}
	next, err := r.compute(now)
	if err != nil {
		// The key set was encodable a moment ago; keep it rather than fail.
		st.until = now.Add(time.Minute)
		return st
	}
	r.state.Store(next)
	r.logChange(st, next)
	return next
}

// logChange says what changed between two states, so that a rollover at a
// certificate's NotAfter (or NotBefore) is visible in the log.
func (r *Ring) logChange(prev, next *ringState) {
	if r.logger == nil {
		return
	}
	if prev.signer != next.signer {
		r.logger.Info("signing key changed", slog.String("from", prev.signer.ID), slog.String("to", next.signer.ID), slog.String("subject", next.signer.Subject()))
	}
	if next.etag != prev.etag {
		var ids []string
		for _, k := range next.published {
			ids = append(ids, k.ID)
		}
		r.logger.Info("published keys changed", slog.Any("kids", ids))
	}
	if c := next.signer.Certificate; c != nil && r.now().After(c.NotAfter) {
		r.logger.Warn("the signing certificate has expired and no other can sign: create a new one and import it", slog.String("kid", next.signer.ID), slog.Time("not_after", c.NotAfter))
	}
}

// compute decides, at t, which key signs and which are published: the
// first candidate valid at t signs (else the first candidate, whatever its
// dates: an expired certificate still signs, with a warning at startup);
// every candidate valid at t, or expired less than the retention ago, is
// published with it; validation keys always are.
func (r *Ring) compute(t time.Time) (*ringState, error) {
	st := &ringState{until: t.Add(24 * time.Hour)}
	for _, k := range r.candidates {
		if k.validAt(t) {
			st.signer = k
			break
		}
	}
	if st.signer == nil {
		st.signer = r.candidates[0]
	}
	seen := map[string]bool{}
	add := func(k *Key) {
		if !seen[k.ID] {
			seen[k.ID] = true
			st.published = append(st.published, k)
		}
	}
	add(st.signer)
	for _, k := range append(append([]*Key{}, r.candidates...), r.validation...) {
		c := k.Certificate
		switch {
		case k.Validation || c == nil:
			add(k)
		case k.validAt(t), !t.Before(c.NotBefore) && t.Before(c.NotAfter.Add(r.retention)):
			add(k)
		}
		if c != nil {
			for _, edge := range []time.Time{c.NotBefore, c.NotAfter, c.NotAfter.Add(r.retention)} {
				if edge.After(t) && edge.Before(st.until) {
					st.until = edge
				}
			}
		}
	}
	set := jose.JSONWebKeySet{}
	for _, k := range st.published {
		set.Keys = append(set.Keys, k.JWK())
	}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode JWKS: %w", err)
	}
	sum := sha256.Sum256(body)
	st.jwks, st.etag = body, `"`+base64.RawURLEncoding.EncodeToString(sum[:12])+`"`
	return st, nil
}

// Signer is the key that signs now.
func (r *Ring) Signer() *Key { return r.current().signer }

// Published lists the keys in the JWKS now, the signer first.
func (r *Ring) Published() []*Key { return r.current().published }

// JWKS returns the JSON Web Key Set and its ETag, encoded once per change.
func (r *Ring) JWKS() (body []byte, etag string) {
	st := r.current()
	return st.jwks, st.etag
}

// Algorithms lists the algorithms of the published keys, the signer's first.
func (r *Ring) Algorithms() []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range r.Published() {
		if !seen[k.Algorithm] {
			seen[k.Algorithm] = true
			out = append(out, k.Algorithm)
		}
	}
	return out
}

// Sign signs claims as a JWT with the current signing key, with the given
// typ header (at+jwt for access tokens, RFC 9068 §2.1).
func (r *Ring) Sign(typ string, claims any) (string, *Key, error) {
	k := r.Signer()
	s, err := k.joseSigner(typ)
	if err != nil {
		return "", nil, err
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		return "", nil, fmt.Errorf("sign with %s: %w", k.ID, err)
	}
	return tok, k, nil
}

// prepareSigner makes the go-jose signer for the access token type ahead of
// time, so that the token path does not.
func (k *Key) prepareSigner() error {
	_, err := k.joseSigner("at+jwt")
	return err
}

func (k *Key) joseSigner(typ string) (jose.Signer, error) {
	if s, ok := k.signers.Load(typ); ok {
		return s.(jose.Signer), nil
	}
	var sk jose.SigningKey
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ))
	switch priv := k.Signer.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		sk = jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: jose.JSONWebKey{Key: priv, KeyID: k.ID}}
	case nil:
		return nil, fmt.Errorf("key %s has no private key", k.ID)
	default:
		// An HSM or other opaque signer.
		sk = jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: cryptosigner.Opaque(priv)}
		opts = opts.WithHeader(jose.HeaderKey("kid"), k.ID)
	}
	s, err := jose.NewSigner(sk, opts)
	if err != nil {
		return nil, fmt.Errorf("signer for %s: %w", k.ID, err)
	}
	actual, _ := k.signers.LoadOrStore(typ, s)
	return actual.(jose.Signer), nil
}
