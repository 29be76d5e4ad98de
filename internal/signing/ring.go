package signing

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signetid/signet/internal/observe"
)

// Ring is the set of keys a server publishes and those it signs with, one
// per algorithm. It is safe for concurrent use, and its hot methods (Sign,
// JWKS) do no more than an atomic load and a time comparison beyond their
// own work. Replace swaps the whole set (a reload, a rotation) without
// disturbing a request in flight.
type Ring struct {
	retention time.Duration
	now       func() time.Time
	logger    *slog.Logger
	obs       observe.Observer

	mu    sync.Mutex // serialises recomputing and replacing
	state atomic.Pointer[ringState]
}

// keySet is what a ring is made of.
type keySet struct {
	candidates []*Key   // can sign, in order of preference
	validation []*Key   // published only
	algorithms []string // the signing algorithms, the default first
}

// ringState is what holds until the next change of validity.
type ringState struct {
	keys      *keySet
	signer    *Key            // for the default algorithm
	signers   map[string]*Key // by algorithm
	published []*Key
	jwks      []byte
	etag      string
	until     time.Time
}

// RingOptions tune a ring.
type RingOptions struct {
	// Retention is how long a certificate stays published after it
	// expires, so that tokens it signed shortly before keep validating:
	// the longest access token lifetime. (Keys with a Lifecycle carry
	// their own.)
	Retention time.Duration
	// Algorithms are the signing algorithms in order, the first the
	// default for tokens; empty means those of the signing keys, in the
	// order of the keys.
	Algorithms []string
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
	r := &Ring{retention: opts.Retention, now: opts.Now, logger: opts.Logger, obs: observe.Discard}
	if r.now == nil {
		r.now = time.Now
	}
	ks, err := newKeySet(signing, validation, opts.Algorithms)
	if err != nil {
		return nil, err
	}
	st, err := r.compute(ks, r.now())
	if err != nil {
		return nil, err
	}
	r.state.Store(st)
	return r, nil
}

// SetObserver makes o the observer of the keys the ring takes in
// (key.loaded): it is told of every key now, then of those new at each
// Replace. A ring made for a check, never served, has none.
func (r *Ring) SetObserver(o observe.Observer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.obs = observe.Or(o)
	r.reportLoaded(nil, r.state.Load().keys)
}

// reportLoaded tells the observer of the keys of next that were not in
// prev (nil: every key).
func (r *Ring) reportLoaded(prev, next *keySet) {
	if r.obs == observe.Discard {
		return
	}
	had := func(k *Key) bool {
		if prev == nil {
			return false
		}
		same := func(p *Key) bool { return p.ID == k.ID && p.Algorithm == k.Algorithm }
		return slices.ContainsFunc(prev.candidates, same) || slices.ContainsFunc(prev.validation, same)
	}
	for _, k := range slices.Concat(next.candidates, next.validation) {
		if had(k) {
			continue
		}
		role := "signing"
		if k.Validation || k.Signer == nil {
			role = "validation"
		}
		r.obs.Observe(context.Background(), &observe.Event{Name: observe.KeyLoaded, KeyID: k.ID, Alg: k.Algorithm,
			Attrs: []slog.Attr{slog.String("role", role), slog.String("source", k.Source)}})
	}
}

func newKeySet(signing, validation []*Key, algorithms []string) (*keySet, error) {
	ks := &keySet{algorithms: algorithms}
	var publicOnly []*Key
	for _, k := range signing {
		if k.Signer == nil {
			publicOnly = append(publicOnly, k)
			continue
		}
		if err := k.prepareSigner(); err != nil {
			return nil, err
		}
		ks.candidates = append(ks.candidates, k)
		if len(algorithms) == 0 && !slices.Contains(ks.algorithms, k.Algorithm) {
			ks.algorithms = append(ks.algorithms, k.Algorithm)
		}
	}
	if len(ks.candidates) == 0 {
		return nil, errors.New("no key can sign")
	}
	for _, alg := range ks.algorithms {
		if !slices.ContainsFunc(ks.candidates, func(k *Key) bool { return k.Algorithm == alg }) {
			return nil, fmt.Errorf("no key can sign with %s", alg)
		}
	}
	ks.validation = append(publicOnly, validation...)
	return ks, nil
}

// Replace makes signing and validation the ring's keys, as NewRing would,
// and logs what changed. On an error the ring keeps its keys.
func (r *Ring) Replace(signing, validation []*Key, algorithms []string) error {
	ks, err := newKeySet(signing, validation, algorithms)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	next, err := r.compute(ks, r.now())
	if err != nil {
		return err
	}
	prev := r.state.Load()
	r.state.Store(next)
	r.logChange(prev, next)
	r.reportLoaded(prev.keys, ks)
	return nil
}

// current returns the state for now, recomputing it when a key has come
// into or gone out of its window since.
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
	next, err := r.compute(st.keys, now)
	if err != nil {
		// The key set was encodable a moment ago; keep it rather than
		// fail, and try again in a minute. A copy: others read st.
		keep := *st
		keep.until = now.Round(0).Add(time.Minute)
		r.state.Store(&keep)
		return &keep
	}
	r.state.Store(next)
	r.logChange(st, next)
	return next
}

// logChange says what changed between two states, so that a rollover at a
// certificate's NotAfter (or NotBefore), a rotation or a reload is visible
// in the log.
func (r *Ring) logChange(prev, next *ringState) {
	if r.logger == nil {
		return
	}
	for _, alg := range next.keys.algorithms {
		from, to := prev.signers[alg], next.signers[alg]
		if from != to && (from == nil || to == nil || from.ID != to.ID) {
			var attrs []any
			if from != nil {
				attrs = append(attrs, slog.String("from", from.ID))
			}
			attrs = append(attrs, slog.String("to", to.ID), slog.String("alg", alg), slog.String("subject", to.Subject()))
			r.logger.Info("signing key changed", attrs...)
		}
	}
	if next.etag != prev.etag {
		var ids []string
		for _, k := range next.published {
			ids = append(ids, k.ID)
		}
		r.logger.Info("published keys changed", slog.Any("kids", ids))
	}
	if c := next.signer.Certificate; c != nil && next.signer.Lifecycle == nil && r.now().After(c.NotAfter) {
		r.logger.Warn("the signing certificate has expired and no other can sign: create a new one and import it", slog.String("kid", next.signer.ID), slog.Time("not_after", c.NotAfter))
	}
}

// compute decides, at t, which key signs for each algorithm and which are
// published: the first candidate of the algorithm valid at t signs (else
// its first candidate, whatever its dates: an expired certificate still
// signs, with a warning at startup); every candidate published at t (valid,
// or expired less than the retention ago; for a Lifecycle, within its
// announcement) is published with the signers; validation keys always are.
func (r *Ring) compute(ks *keySet, t time.Time) (*ringState, error) {
	// Wall-clock times only (Round(0) drops the monotonic reading): the
	// edges are wall-clock times, and after a suspend or a clock step the
	// monotonic clock would hold a stale state back.
	t = t.Round(0)
	st := &ringState{keys: ks, signers: map[string]*Key{}, until: t.Add(24 * time.Hour)}
	for _, alg := range ks.algorithms {
		var first *Key
		for _, k := range ks.candidates {
			if k.Algorithm != alg {
				continue
			}
			if first == nil {
				first = k
			}
			if k.validAt(t) {
				st.signers[alg] = k
				break
			}
		}
		if st.signers[alg] == nil {
			st.signers[alg] = first
		}
	}
	st.signer = st.signers[ks.algorithms[0]]
	seen := map[string]bool{}
	add := func(k *Key) {
		if !seen[k.ID] {
			seen[k.ID] = true
			st.published = append(st.published, k)
		}
	}
	for _, alg := range ks.algorithms {
		add(st.signers[alg])
	}
	for _, k := range append(append([]*Key{}, ks.candidates...), ks.validation...) {
		if k.publishedAt(t, r.retention) {
			add(k)
		}
		for _, edge := range k.edges(r.retention) {
			if edge.After(t) && edge.Before(st.until) {
				st.until = edge
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

// Signer is the key that signs now with the default algorithm.
func (r *Ring) Signer() *Key { return r.current().signer }

// SignerFor is the key that signs now with alg; nil if none does.
func (r *Ring) SignerFor(alg string) *Key { return r.current().signers[alg] }

// SigningAlgorithms are the algorithms the ring signs with, the default
// first.
func (r *Ring) SigningAlgorithms() []string { return r.current().keys.algorithms }

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

// Sign signs claims as a JWT with the current signing key of the default
// algorithm, with the given typ header (at+jwt for access tokens, RFC 9068
// §2.1).
func (r *Ring) Sign(typ string, claims any) (string, *Key, error) {
	return r.SignWith("", typ, claims)
}

// SignWith signs claims as a JWT with the current signing key of alg ("" is
// the default algorithm): each kind of token may have its own (ID tokens
// RS256, which every OpenID Connect client must accept, beside ES256
// access tokens). An alg the ring does not sign with is an error that
// names those it does.
func (r *Ring) SignWith(alg, typ string, claims any) (string, *Key, error) {
	st := r.current()
	k := st.signer
	if alg != "" {
		if k = st.signers[alg]; k == nil {
			return "", nil, &NoSignerError{Algorithm: alg, Algorithms: st.keys.algorithms}
		}
	}
	tok, err := k.signJWT(typ, claims)
	if err != nil {
		return "", nil, err
	}
	return tok, k, nil
}

// NoSignerError is returned when a token is to be signed with an algorithm
// no key of the ring signs with.
type NoSignerError struct {
	Algorithm string
	// Algorithms are those the ring signs with.
	Algorithms []string
}

func (e *NoSignerError) Error() string {
	return fmt.Sprintf("no key signs with %s; the signing keys sign with %s (key.algorithm, or key.signingAlgorithms for managed keys)",
		e.Algorithm, strings.Join(e.Algorithms, ", "))
}

// prepareSigner checks that the key can sign and encodes the access token
// header ahead of time, so that the token path does not.
func (k *Key) prepareSigner() error {
	_, err := k.header("at+jwt")
	return err
}

// Configured is every key the ring was given, signing and validation,
// whether or not its certificate is valid now: what an expiry warning
// looks at, since an expired certificate is still configured.
func (r *Ring) Configured() []*Key {
	ks := r.current().keys
	return append(slices.Clone(ks.candidates), ks.validation...)
}
