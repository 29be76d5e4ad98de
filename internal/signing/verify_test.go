package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Every algorithm's token verifies with the ring that signed it, and with
// a ring that only publishes its key (a validationKey), giving the payload
// and the key.
func TestVerify(t *testing.T) {
	t.Parallel()
	for _, alg := range Algorithms {
		k := bareKey(t, alg)
		r, err := NewRing([]*Key{k}, nil, RingOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := r.Sign("JWT", map[string]any{"sub": "alice"})
		if err != nil {
			t.Fatal(err)
		}
		payload, got, err := r.Verify(tok)
		if err != nil || got != k || string(payload) != `{"sub":"alice"}` {
			t.Errorf("%s: Verify = %s, %v, %v", alg, payload, got, err)
		}
		other, err := NewRing([]*Key{bareKey(t, "ES256")}, []*Key{{ID: k.ID, Algorithm: k.Algorithm, Public: k.Public}}, RingOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := other.Verify(tok); err != nil {
			t.Errorf("%s: a published validation key does not verify: %v", alg, err)
		}
	}
}

// What Verify refuses, each with the error that says why: tampering, an
// algorithm the token chooses (none, HS256 keyed with the public key, an
// algorithm other than its key's), an unknown kid, crit, and malformed
// tokens.
func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	rs, es := bareKey(t, "RS256"), bareKey(t, "ES256")
	r, err := NewRing([]*Key{rs, es}, nil, RingOptions{Algorithms: []string{"RS256", "ES256"}})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := r.Sign("JWT", map[string]any{"sub": "alice"})
	if err != nil {
		t.Fatal(err)
	}
	estok, _, err := r.SignWith("ES256", "JWT", map[string]any{"sub": "alice"})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	esParts := strings.Split(estok, ".")
	enc := base64.RawURLEncoding
	header := func(h map[string]any) string {
		b, _ := json.Marshal(h)
		return enc.EncodeToString(b)
	}
	forged := enc.EncodeToString([]byte(`{"sub":"mallory"}`))
	hsInput := header(map[string]any{"alg": "HS256", "kid": rs.ID}) + "." + parts[1]
	mac := hmac.New(sha256.New, []byte(rs.ID))
	mac.Write([]byte(hsInput))
	for name, tc := range map[string]struct {
		token string
		want  error
		says  string
	}{
		"payload changed":    {parts[0] + "." + forged + "." + parts[2], ErrSignature, "does not match"},
		"signature of other": {parts[0] + "." + parts[1] + "." + esParts[2], ErrSignature, "does not match"},
		"alg none":           {header(map[string]any{"alg": "none", "kid": rs.ID}) + "." + parts[1] + ".", ErrSignature, `"none" is not one`},
		"alg HS256":          {hsInput + "." + enc.EncodeToString(mac.Sum(nil)), ErrSignature, `"HS256" is not one`},
		"alg of another key": {header(map[string]any{"alg": "PS256", "kid": rs.ID}) + "." + parts[1] + "." + parts[2], ErrSignature, "signs with RS256, not PS256"},
		"ES header, RSA kid": {header(map[string]any{"alg": "ES256", "kid": rs.ID}) + "." + esParts[1] + "." + esParts[2], ErrSignature, "not ES256"},
		"unknown kid":        {header(map[string]any{"alg": "RS256", "kid": "nope"}) + "." + parts[1] + "." + parts[2], ErrSignature, `kid "nope"`},
		"no kid":             {header(map[string]any{"alg": "RS256"}) + "." + parts[1] + "." + parts[2], ErrSignature, "no kid"},
		"crit":               {header(map[string]any{"alg": "RS256", "kid": rs.ID, "crit": []string{"b64"}, "b64": false}) + "." + parts[1] + "." + parts[2], ErrMalformed, "crit"},
		"two parts":          {parts[0] + "." + parts[1], ErrMalformed, "three"},
		"four parts":         {tok + ".x", ErrMalformed, "three"},
		"header not base64":  {"!!." + parts[1] + "." + parts[2], ErrMalformed, "header is not base64url"},
		"header not JSON":    {enc.EncodeToString([]byte("[1]")) + "." + parts[1] + "." + parts[2], ErrMalformed, "not a JSON object"},
		"signature padded":   {tok + "=", ErrMalformed, "signature is not base64url"},
		"too long":           {strings.Repeat("a", MaxVerifyBytes+1), ErrMalformed, "over 32 KiB"},
		"empty":              {"", ErrMalformed, "three"},
		"ES signature short": {esParts[0] + "." + esParts[1] + "." + esParts[2][:40], ErrSignature, "does not match"},
	} {
		_, _, err := r.Verify(tc.token)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: Verify = %v, want %v saying %q", name, err, tc.want, tc.says)
		}
	}
}

// FuzzVerify: no input panics, and what verifies is a token the ring
// signed, its payload unchanged.
func FuzzVerify(f *testing.F) {
	k := bareKey(f, "ES256")
	r, err := NewRing([]*Key{k}, nil, RingOptions{})
	if err != nil {
		f.Fatal(err)
	}
	tok, _, err := r.Sign("JWT", map[string]any{"sub": "alice"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(tok[:len(tok)-2])
	f.Add("e30.e30.")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		payload, key, err := r.Verify(s)
		if err != nil {
			return
		}
		if key != k || !strings.HasPrefix(s, strings.SplitN(tok, ".", 2)[0]) {
			t.Fatalf("Verify(%q) accepted with key %v", s, key)
		}
		want, _ := base64.RawURLEncoding.DecodeString(strings.Split(s, ".")[1])
		if string(payload) != string(want) {
			t.Fatalf("payload %q, want %q", payload, want)
		}
	})
}
