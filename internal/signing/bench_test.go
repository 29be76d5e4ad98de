package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"sync"
	"testing"
	"time"
)

// The benchmarks below sign one access token per algorithm through
// Ring.Sign, and beside each the raw crypto call over a signing input of
// the same length as the floor. Compare them in one run:
//
//	go test -run '^$' -bench 'Sign' -benchmem ./internal/signing/
//
// EdDSA is not here: Signet does not sign with it (see Algorithms), it
// only accepts it for client assertions.

// benchAlg is one signing setting: a JWS algorithm and a key size.
type benchAlg struct {
	name string // sub-benchmark name, e.g. RS256-2048
	alg  string // JWS algorithm
	key  func() crypto.Signer
	hash crypto.Hash
}

// benchKeys generates each key once per process: RSA-3072 generation
// takes a second or more.
var benchKeys = struct {
	rsa2048, rsa3072, p256, p384, p521 func() crypto.Signer
}{
	rsa2048: onceKey(func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }),
	rsa3072: onceKey(func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 3072) }),
	p256:    onceKey(func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }),
	p384:    onceKey(func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P384(), rand.Reader) }),
	p521:    onceKey(func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P521(), rand.Reader) }),
}

func onceKey(gen func() (crypto.Signer, error)) func() crypto.Signer {
	return sync.OnceValue(func() crypto.Signer {
		k, err := gen()
		if err != nil {
			panic(err)
		}
		return k
	})
}

var benchAlgs = []benchAlg{
	{"RS256-2048", "RS256", benchKeys.rsa2048, crypto.SHA256},
	{"RS256-3072", "RS256", benchKeys.rsa3072, crypto.SHA256},
	{"PS256-2048", "PS256", benchKeys.rsa2048, crypto.SHA256},
	{"ES256", "ES256", benchKeys.p256, crypto.SHA256},
	{"ES384", "ES384", benchKeys.p384, crypto.SHA384},
	{"ES512", "ES512", benchKeys.p521, crypto.SHA512},
}

// benchClaims are the claims of an access token as the token endpoint
// makes them (grant.AccessTokenClaims, which this package cannot import).
type benchClaims struct {
	Issuer    string `json:"iss"`
	Audience  string `json:"aud"`
	ClientID  string `json:"client_id"`
	Subject   string `json:"sub"`
	Scope     string `json:"scope"`
	IssuedAt  int64  `json:"iat"`
	NotBefore int64  `json:"nbf"`
	Expiry    int64  `json:"exp"`
	ID        string `json:"jti"`
}

func newBenchClaims() benchClaims {
	now := time.Now().Unix()
	return benchClaims{
		Issuer:    "https://auth.example.com",
		Audience:  "https://api.example.com",
		ClientID:  "billing-service",
		Subject:   "billing-service",
		Scope:     "api1 api2",
		IssuedAt:  now,
		NotBefore: now,
		Expiry:    now + 3600,
		ID:        "Qw3rTy0p1AsDfGhJkLzXcV", // 16 random bytes, base64url, as newJTI makes
	}
}

// benchRing is a ring that signs with a's key and algorithm.
func benchRing(b *testing.B, a benchAlg) *Ring {
	b.Helper()
	priv := a.key()
	k, err := newKey(priv.Public(), priv, nil, a.alg)
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRing([]*Key{k}, nil, RingOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// benchSigningInput is the header.payload of a token the ring signs: the
// bytes the raw benchmarks hash and sign.
func benchSigningInput(b *testing.B, r *Ring) []byte {
	b.Helper()
	tok, _, err := r.Sign("at+jwt", newBenchClaims())
	if err != nil {
		b.Fatal(err)
	}
	return []byte(tok[:strings.LastIndexByte(tok, '.')])
}

// benchEach runs, for each of algs, the operation that setup makes:
// serially, or on every core (GOMAXPROCS goroutines) when parallel.
func benchEach(b *testing.B, algs []benchAlg, parallel bool, setup func(b *testing.B, a benchAlg) func() error) {
	for _, a := range algs {
		b.Run(a.name, func(b *testing.B) {
			op := setup(b, a)
			b.ReportAllocs()
			if !parallel {
				for b.Loop() {
					if err := op(); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := op(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// signToken signs an access token through a ring of a.
func signToken(b *testing.B, a benchAlg) func() error {
	r := benchRing(b, a)
	claims := newBenchClaims()
	return func() error {
		_, _, err := r.Sign("at+jwt", claims)
		return err
	}
}

// signRaw hashes and signs an input of a token's length, as signToken
// does without the rest.
func signRaw(b *testing.B, a benchAlg) func() error {
	input := benchSigningInput(b, benchRing(b, a))
	sign := rawSigner(a)
	return func() error { return sign(input) }
}

// BenchmarkSign is one access token signed through the ring: encode the
// claims, the header, base64url, hash, sign, serialise.
func BenchmarkSign(b *testing.B) { benchEach(b, benchAlgs, false, signToken) }

// BenchmarkSignRaw is the floor of BenchmarkSign: the hash and the
// signature alone, over an input of the token's length.
func BenchmarkSignRaw(b *testing.B) { benchEach(b, benchAlgs, false, signRaw) }

// rawSigner hashes input and signs the digest with the crypto package's
// own call, as go-jose does for the algorithm (PSS with a salt the length
// of the hash; ECDSA as ASN.1, which go-jose converts to r||s).
func rawSigner(a benchAlg) func(input []byte) error {
	priv := a.key()
	digest := func(input []byte) []byte {
		h := a.hash.New()
		h.Write(input)
		return h.Sum(nil)
	}
	switch {
	case a.alg == "RS256":
		k := priv.(*rsa.PrivateKey)
		return func(input []byte) error {
			_, err := rsa.SignPKCS1v15(nil, k, a.hash, digest(input))
			return err
		}
	case a.alg == "PS256":
		k := priv.(*rsa.PrivateKey)
		opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
		return func(input []byte) error {
			_, err := rsa.SignPSS(rand.Reader, k, a.hash, digest(input), opts)
			return err
		}
	default:
		k := priv.(*ecdsa.PrivateKey)
		return func(input []byte) error {
			_, err := ecdsa.SignASN1(rand.Reader, k, digest(input))
			return err
		}
	}
}

// parallelAlgs are the settings whose multi-core rate the parallel
// benchmarks show (the two targets).
var parallelAlgs = []benchAlg{benchAlgs[0], benchAlgs[3]}

// BenchmarkSignParallel is BenchmarkSign on every core (GOMAXPROCS
// goroutines): ns/op is wall time per token across all of them.
func BenchmarkSignParallel(b *testing.B) { benchEach(b, parallelAlgs, true, signToken) }

// BenchmarkSignRawParallel is the floor of BenchmarkSignParallel.
func BenchmarkSignRawParallel(b *testing.B) { benchEach(b, parallelAlgs, true, signRaw) }

// BenchmarkVerify verifies one access token per algorithm through
// Ring.Verify (userinfo does it per request, the end-session endpoint for
// each id_token_hint):
//
//	go test -run '^$' -bench 'Verify' -benchmem ./internal/signing/
func BenchmarkVerify(b *testing.B) {
	for _, ba := range benchAlgs {
		b.Run(ba.name, func(b *testing.B) {
			k, err := newKey(ba.key().Public(), ba.key(), nil, ba.alg)
			if err != nil {
				b.Fatal(err)
			}
			r, err := NewRing([]*Key{k}, nil, RingOptions{})
			if err != nil {
				b.Fatal(err)
			}
			tok, _, err := r.Sign("at+jwt", map[string]any{"iss": "https://auth.example.com", "sub": "alice", "scope": "openid profile"})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := r.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
