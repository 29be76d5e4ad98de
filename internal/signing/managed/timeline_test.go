package managed_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/internal/signing"
)

// token is a token signed during a walk, checked against the JWKS when it
// is signed and a millisecond before it expires.
type token struct {
	raw     string
	kid     string
	signed  time.Time
	expires time.Time
}

// TestTimeline walks a fake clock through many rotations, syncing now and
// then as Run would, with a real ring, and checks the promises of the
// lifecycle: a key never signs before it has been published for the
// propagation time (except the first), every token stays verifiable with
// the JWKS until it expires, the number of keys stays bounded, and each
// rotation happens once.
func TestTimeline(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name                        string
		algs                        []string
		prop, rot, ret              time.Duration
		length, step, sync          time.Duration
		tokenLifetime, longLifetime time.Duration
	}{
		{name: "defaults for a year", algs: []string{"RS256", "ES256"},
			prop: defaultProp, rot: defaultRot, ret: defaultRet,
			length: 365 * day, step: 6 * time.Hour, sync: 6 * time.Hour,
			tokenLifetime: time.Hour, longLifetime: defaultRet},
		{name: "short for a month", algs: []string{"ES256"},
			prop: 2 * time.Hour, rot: 12 * time.Hour, ret: 3 * time.Hour,
			length: 30 * day, step: 30 * time.Minute, sync: time.Hour,
			tokenLifetime: time.Hour, longLifetime: 3 * time.Hour},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := newClock()
			start := clk.Now()
			store := memStore(clk)
			opts := options(t, clk, newKEK(t), tc.algs...)
			opts.Propagation, opts.Rotation, opts.Retention = tc.prop, tc.rot, tc.ret
			m := newManager(t, store, opts)
			keys, err := m.Sync(t.Context())
			if err != nil {
				t.Fatalf("Sync: %v", err)
			}
			ring, err := signing.NewRing(keys, nil, signing.RingOptions{Algorithms: tc.algs, Now: clk.Now})
			if err != nil {
				t.Fatalf("NewRing: %v", err)
			}

			published := map[string]time.Time{} // kid: first seen in the JWKS
			firstKey := map[string]string{}     // alg: kid of its first key
			signedFrom := map[string]time.Time{}
			signFrom := map[string]map[string]time.Time{} // alg: kid: Lifecycle.SignFrom
			var pending []*token
			bound := 2 + int(math.Ceil(float64(tc.ret+tc.sync)/float64(tc.rot)))
			var verifications int

			observe := func() *jose.JSONWebKeySet {
				body, _ := ring.JWKS()
				var set jose.JSONWebKeySet
				if err := json.Unmarshal(body, &set); err != nil {
					t.Fatalf("JWKS: %v", err)
				}
				now := clk.Now()
				for _, k := range set.Keys {
					if _, ok := published[k.KeyID]; !ok {
						published[k.KeyID] = now
					}
				}
				return &set
			}
			verify := func(tok *token, set *jose.JSONWebKeySet, at time.Time) {
				verifications++
				if err := verifyToken(tok.raw, set, tc.algs); err != nil {
					t.Fatalf("at %s: token signed at %s by %s (expires %s) does not verify: %v", at.Sub(start), tok.signed.Sub(start), tok.kid, tok.expires.Sub(start), err)
				}
			}
			// checkPending checks each token a millisecond before it
			// expires, in time order, up to until.
			checkPending := func(until time.Time) {
				slices.SortFunc(pending, func(a, b *token) int { return a.expires.Compare(b.expires) })
				for len(pending) > 0 && pending[0].expires.Add(-time.Millisecond).Before(until) {
					tok := pending[0]
					pending = pending[1:]
					at := tok.expires.Add(-time.Millisecond)
					if at.After(clk.Now()) {
						clk.Set(at)
					}
					verify(tok, observe(), at)
				}
			}
			sign := func(alg string, lifetime time.Duration, set *jose.JSONWebKeySet) {
				now := clk.Now()
				k := ring.SignerFor(alg)
				if k == nil {
					t.Fatalf("no %s signer", alg)
				}
				firstUse := false
				if _, ok := signedFrom[k.ID]; !ok {
					firstUse = true
					signedFrom[k.ID] = now
					if first, ok := firstKey[alg]; !ok {
						firstKey[alg] = k.ID
					} else if first != k.ID {
						if pub, ok := published[k.ID]; !ok || now.Sub(pub) < tc.prop {
							t.Fatalf("at %s: %s key %s signs after being published for %s, less than the propagation %s", now.Sub(start), alg, k.ID, now.Sub(pub), tc.prop)
						}
					}
				}
				claims := jwt.Claims{Subject: "walker", Expiry: jwt.NewNumericDate(now.Add(lifetime)), IssuedAt: jwt.NewNumericDate(now)}
				var raw string
				var err error
				if alg == tc.algs[0] {
					var used *signing.Key
					raw, used, err = ring.Sign("at+jwt", claims)
					if err == nil && used.ID != k.ID {
						t.Fatalf("Sign used %s, SignerFor said %s", used.ID, k.ID)
					}
				} else {
					raw, err = signWith(k, claims)
				}
				if err != nil {
					t.Fatalf("sign with %s: %v", alg, err)
				}
				tok := &token{raw: raw, kid: k.ID, signed: now, expires: now.Add(lifetime)}
				if firstUse {
					verify(tok, set, now)
				}
				pending = append(pending, tok)
			}

			steps := int(tc.length / tc.step)
			syncEvery := int(tc.sync / tc.step)
			for i := 0; i <= steps; i++ {
				next := start.Add(time.Duration(i) * tc.step)
				checkPending(next)
				clk.Set(next)
				if i%syncEvery == 0 {
					keys, err := m.Sync(t.Context())
					if err != nil {
						t.Fatalf("at %s: Sync: %v", next.Sub(start), err)
					}
					if err := ring.Replace(keys, nil, m.Algorithms()); err != nil {
						t.Fatalf("Replace: %v", err)
					}
					for _, k := range keys {
						if signFrom[k.Algorithm] == nil {
							signFrom[k.Algorithm] = map[string]time.Time{}
						}
						signFrom[k.Algorithm][k.ID] = k.Lifecycle.SignFrom
					}
					for alg, n := range count(t, store) {
						if n > bound {
							t.Fatalf("at %s: %d %s keys stored, more than %d", next.Sub(start), n, alg, bound)
						}
					}
				}
				set := observe()
				for _, alg := range tc.algs {
					sign(alg, tc.tokenLifetime, set)
				}
				if i%syncEvery == 0 {
					sign(tc.algs[0], tc.longLifetime, set)
				}
			}

			// Each rotation once: successive keys start signing a rotation
			// interval apart, give or take the sync interval.
			for _, alg := range tc.algs {
				var starts []time.Time
				for _, at := range signFrom[alg] {
					starts = append(starts, at)
				}
				slices.SortFunc(starts, time.Time.Compare)
				for i := 1; i < len(starts); i++ {
					if d := starts[i].Sub(starts[i-1]); d < tc.rot || d > tc.rot+tc.sync {
						t.Errorf("%s: key %d starts signing %s after key %d; want the rotation %s (+ at most %s)", alg, i, d, i-1, tc.rot, tc.sync)
					}
				}
				want := int((tc.length+tc.prop)/tc.rot) + 1
				if len(starts) < want-1 || len(starts) > want+1 {
					t.Errorf("%s: %d keys over %s; want about %d", alg, len(starts), tc.length, want)
				}
				t.Logf("%s: %d keys", alg, len(starts))
			}
			t.Logf("%d token verifications", verifications)
		})
	}
}

// verifyToken checks a token's signature with the key of its kid in set.
func verifyToken(raw string, set *jose.JSONWebKeySet, algs []string) error {
	var sas []jose.SignatureAlgorithm
	for _, a := range algs {
		sas = append(sas, jose.SignatureAlgorithm(a))
	}
	tok, err := jwt.ParseSigned(raw, sas)
	if err != nil {
		return err
	}
	kid := tok.Headers[0].KeyID
	ks := set.Key(kid)
	if len(ks) == 0 {
		return fmt.Errorf("kid %s is not in the JWKS", kid)
	}
	var claims jwt.Claims
	return tok.Claims(ks[0].Key, &claims)
}

// signWith signs claims with k, for algorithms other than the ring's
// default.
func signWith(k *signing.Key, claims jwt.Claims) (string, error) {
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: jose.JSONWebKey{Key: k.Signer, KeyID: k.ID}}, (&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		return "", err
	}
	return jwt.Signed(s).Claims(claims).Serialize()
}

// TestDowntime: a server down past its rotation keeps signing with the old
// key until the successor, announced when it comes back, has propagated.
func TestDowntime(t *testing.T) {
	t.Parallel()
	m, _, clk := es256Manager(t)
	keys, err := m.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	old := keys[0].ID
	clk.Advance(defaultRot + 30*day)
	back := clk.Now()
	keys, err = m.Sync(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ring, err := signing.NewRing(keys, nil, signing.RingOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if got := ring.Signer().ID; got != old {
		t.Fatalf("signer after downtime = %s, want the old key %s", got, old)
	}
	var successor *signing.Key
	for _, k := range keys {
		if k.ID != old {
			successor = k
		}
	}
	if successor == nil || !successor.Lifecycle.SignFrom.Equal(back.Add(defaultProp)) {
		t.Fatalf("successor = %+v, want one signing from %s", successor, back.Add(defaultProp))
	}
	clk.Advance(defaultProp - time.Millisecond)
	if got := ring.Signer().ID; got != old {
		t.Fatalf("signer just before propagation = %s, want %s", got, old)
	}
	clk.Advance(time.Millisecond)
	if got := ring.Signer().ID; got != successor.ID {
		t.Fatalf("signer after propagation = %s, want %s", got, successor.ID)
	}
}
