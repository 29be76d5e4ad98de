package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func bareKey(t testing.TB, alg string) *Key {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256", "PS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ES384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ES512":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	k, err := newKey(priv.Public(), priv, nil, alg)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func publishedIDs(r *Ring) []string {
	var ids []string
	for _, k := range r.Published() {
		ids = append(ids, k.ID)
	}
	return ids
}

// Several algorithms: each has its signer, the first is the default, and
// all are published.
func TestRingAlgorithms(t *testing.T) {
	t.Parallel()
	rs, es := bareKey(t, "RS256"), bareKey(t, "ES256")
	r, err := NewRing([]*Key{rs, es}, nil, RingOptions{Algorithms: []string{"ES256", "RS256"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Signer() != es || r.SignerFor("RS256") != rs || r.SignerFor("PS256") != nil {
		t.Errorf("signers: default %s, RS256 %v, PS256 %v", r.Signer().Algorithm, r.SignerFor("RS256"), r.SignerFor("PS256"))
	}
	if got := r.SigningAlgorithms(); strings.Join(got, " ") != "ES256 RS256" {
		t.Errorf("SigningAlgorithms = %v", got)
	}
	tok, k := sign(t, r)
	if k != es {
		t.Errorf("signed with %s, want the default ES256", k.Algorithm)
	}
	verify(t, r, tok)
	if len(r.Published()) != 2 {
		t.Errorf("published %v, want both", publishedIDs(r))
	}
	if _, err := NewRing([]*Key{rs}, nil, RingOptions{Algorithms: []string{"RS256", "ES256"}}); err == nil || !strings.Contains(err.Error(), "no key can sign with ES256") {
		t.Errorf("a configured algorithm without a key: %v", err)
	}
}

// A Lifecycle decides when a key is announced, signs, and leaves; the
// ring switches at the edges by itself.
func TestRingLifecycle(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := start
	old, next := bareKey(t, "RS256"), bareKey(t, "RS256")
	old.Lifecycle = &Lifecycle{Announced: start, SignFrom: start, SignUntil: start.Add(48 * time.Hour), PublishUntil: start.Add(72 * time.Hour)}
	next.Lifecycle = &Lifecycle{Announced: start.Add(24 * time.Hour), SignFrom: start.Add(48 * time.Hour)}
	// The newest first, as a manager lists them: it signs only once its
	// window opens.
	r, err := NewRing([]*Key{next, old}, nil, RingOptions{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		at        time.Duration
		signer    *Key
		published []*Key
	}{
		{0, old, []*Key{old}},
		{24 * time.Hour, old, []*Key{old, next}},
		{48*time.Hour - time.Nanosecond, old, []*Key{old, next}},
		{48 * time.Hour, next, []*Key{next, old}},
		{72 * time.Hour, next, []*Key{next}},
	}
	for _, s := range steps {
		clock = start.Add(s.at)
		if got := r.Signer(); got != s.signer {
			t.Errorf("at +%v: signer %s, want %s", s.at, got.ID, s.signer.ID)
		}
		got := publishedIDs(r)
		var want []string
		for _, k := range s.published {
			want = append(want, k.ID)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("at +%v: published %v, want %v", s.at, got, want)
		}
	}
}

// Replace swaps the keys while tokens are being signed: every token
// verifies with one of the two sets, and a bad set leaves the old one.
func TestRingReplace(t *testing.T) {
	t.Parallel()
	a, b := bareKey(t, "RS256"), bareKey(t, "ES256")
	r, err := NewRing([]*Key{a}, nil, RingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan string, 100)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, k, err := r.Sign("at+jwt", map[string]any{"sub": "x"})
				if err != nil || (k != a && k != b) {
					errs <- fmt.Sprintf("sign during replace: key %v, error %v", k, err)
					return
				}
			}
		})
	}
	for i := range 20 {
		keys := []*Key{a}
		if i%2 == 0 {
			keys = []*Key{b}
		}
		if err := r.Replace(keys, []*Key{a, b}, nil); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if err := r.Replace([]*Key{b}, nil, nil); err != nil {
		t.Fatal(err)
	}
	tok, k := sign(t, r)
	if k != b {
		t.Fatalf("after Replace: signed with %s", k.Algorithm)
	}
	verify(t, r, tok)

	// A set that cannot sign is refused; the ring keeps b.
	pub := &Key{ID: "public-only", Algorithm: "RS256", Public: a.Public}
	if err := r.Replace([]*Key{pub}, nil, nil); err == nil {
		t.Fatal("Replace accepted a set that cannot sign")
	}
	if r.Signer() != b {
		t.Error("a failed Replace changed the signer")
	}
}

// Every algorithm's token verifies with the published key, as go-jose (and
// so go-oidc and most APIs) checks it; PS256 uses a salt as long as the
// hash (RFC 7518 §3.5), which strict verifiers (.NET) require.
func TestSignJWTAlgorithms(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "PS256", "ES256", "ES384", "ES512"} {
		k := bareKey(t, alg)
		r, err := NewRing([]*Key{k}, nil, RingOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := sign(t, r)
		claims := verify(t, r, tok)
		if claims["sub"] == nil {
			t.Errorf("%s: claims %v", alg, claims)
		}
		parts := strings.Split(tok, ".")
		if alg == "PS256" {
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
			if err := rsa.VerifyPSS(k.Public.(*rsa.PublicKey), crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
				t.Errorf("PS256 salt is not the hash length: %v", err)
			}
		}
		// The header is exactly alg, kid, typ.
		hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
		if want := `{"alg":"` + alg + `","kid":"` + k.ID + `","typ":"at+jwt"}`; string(hdr) != want {
			t.Errorf("%s header %s, want %s", alg, hdr, want)
		}
	}
}

func TestECDSARaw(t *testing.T) {
	t.Parallel()
	for _, bad := range [][]byte{nil, {0x30, 0x00}, {0x30, 0x03, 0x02, 0x01, 0x00}, {0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01},
		{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01},                                                    // r = 0
		{0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01},                                                    // r negative
		{0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01},                                              // r not minimal
		{0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01},                                                          // r empty
		{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00},                                              // trailing data
		append([]byte{0x30, 0x26, 0x02, 0x21}, append(bytes.Repeat([]byte{0x7f}, 33), 0x02, 0x01, 0x01)...), // r of 33 bytes
	} {
		if _, err := ecdsaRaw(bad, 32); err == nil {
			t.Errorf("ecdsaRaw(%x) accepted", bad)
		}
	}
	got, err := ecdsaRaw([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02}, 32)
	if err != nil || len(got) != 64 || got[31] != 1 || got[63] != 2 {
		t.Errorf("ecdsaRaw = %x, %v", got, err)
	}
	// A 32-byte r with its high bit set takes a leading zero in DER.
	high := append([]byte{0x30, 0x26, 0x02, 0x21, 0x00}, bytes.Repeat([]byte{0xff}, 32)...)
	high = append(high, 0x02, 0x01, 0x02)
	got, err = ecdsaRaw(high, 32)
	if err != nil || !bytes.Equal(got[:32], bytes.Repeat([]byte{0xff}, 32)) || got[63] != 2 {
		t.Errorf("ecdsaRaw(high r) = %x, %v", got, err)
	}
}

// A token can be signed with a chosen algorithm (ID tokens RS256 beside
// ES256 access tokens): the key of that algorithm signs, its header names
// it, and the token verifies with the published key. An algorithm no key
// signs with is refused, naming those the ring has.
func TestSignWith(t *testing.T) {
	t.Parallel()
	rs, es := bareKey(t, "RS256"), bareKey(t, "ES256")
	r, err := NewRing([]*Key{rs, es}, nil, RingOptions{Algorithms: []string{"ES256", "RS256"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		alg  string
		want *Key
	}{{"", es}, {"ES256", es}, {"RS256", rs}} {
		tok, k, err := r.SignWith(tc.alg, "at+jwt", map[string]any{"sub": "x"})
		if err != nil {
			t.Fatalf("SignWith(%q): %v", tc.alg, err)
		}
		if k != tc.want {
			t.Errorf("SignWith(%q) signed with %s, want %s", tc.alg, k.Algorithm, tc.want.Algorithm)
		}
		hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		if want := `{"alg":"` + tc.want.Algorithm + `","kid":"` + tc.want.ID + `","typ":"at+jwt"}`; string(hdr) != want {
			t.Errorf("SignWith(%q) header %s, want %s", tc.alg, hdr, want)
		}
		if claims := verify(t, r, tok); claims["sub"] != "x" {
			t.Errorf("SignWith(%q): claims %v", tc.alg, claims)
		}
	}
	_, _, err = r.SignWith("PS256", "at+jwt", map[string]any{"sub": "x"})
	var nse *NoSignerError
	if !errors.As(err, &nse) || nse.Algorithm != "PS256" || !strings.Contains(err.Error(), "sign with ES256, RS256") {
		t.Errorf("SignWith(PS256) on a ring of ES256 and RS256: %v", err)
	}
}
