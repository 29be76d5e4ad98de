package jwtauth_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/jwtauth"
)

// wantErr checks that err carries reason (nil: no error) and, if msg is
// not empty, that its message contains msg.
func wantErr(t *testing.T, err, reason error, msg string) {
	t.Helper()
	if reason == nil {
		if err != nil {
			t.Fatalf("error %v (%s), want none", err, reasonOf(err))
		}
		return
	}
	if !errors.Is(err, reason) {
		t.Fatalf("error %v (%s), want %v", err, reasonOf(err), reason)
	}
	var ve *jwtauth.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %T is not a *ValidationError", err)
	}
	if msg != "" && !strings.Contains(err.Error(), msg) {
		t.Errorf("message %q does not contain %q", err.Error(), msg)
	}
}

// Every supported algorithm, through discovery and a fetched JWKS.
func TestValidateAlgorithms(t *testing.T) {
	t.Parallel()
	names := []string{"rsa", "ps", "p256", "p384", "p521", "ed"}
	var keys []*testKey
	for _, n := range names {
		keys = append(keys, key(n))
	}
	p := newProvider(t, keys...)
	v := newValidator(t, p, func(o *jwtauth.Options) {
		o.Algorithms = []string{"RS256", "PS256", "ES256", "ES384", "ES512", "EdDSA"}
	})
	for _, name := range names {
		t.Run(key(name).alg, func(t *testing.T) {
			t.Parallel()
			c, err := v.Validate(t.Context(), sign(t, key(name), nil, claimsFor(p.issuer)))
			wantErr(t, err, nil, "")
			if c.Subject != "client1" || c.ClientID != "client1" || c.Issuer != p.issuer || c.ID != "abcdef" ||
				!slices.Equal(c.Audience, []string{audience}) || !slices.Equal(c.Scopes, []string{"api1", "api2"}) ||
				!c.Expiry.Equal(testNow.Add(time.Hour)) || !c.NotBefore.Equal(testNow.Add(-time.Minute)) || !c.IssuedAt.Equal(testNow.Add(-time.Minute)) {
				t.Errorf("claims %+v", c)
			}
		})
	}
	if got := p.discoveryHits.Load(); got != 1 {
		t.Errorf("%d discovery fetches, want 1", got)
	}
}

// A token signed as Signet signs (go-jose, typ at+jwt, aud an array).
func TestValidateGoJoseToken(t *testing.T) {
	t.Parallel()
	k := key("rsa")
	p := newProvider(t, k)
	v := newValidator(t, p, nil)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(with(claimsFor(p.issuer), map[string]any{"aud": []string{"other", audience}})).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Validate(t.Context(), tok)
	wantErr(t, err, nil, "")
	if !slices.Equal(c.Audience, []string{"other", audience}) {
		t.Errorf("audience %q", c.Audience)
	}
}

func TestClaims(t *testing.T) {
	t.Parallel()
	k := key("p256")
	v := staticValidator(t, "https://issuer", nil, k)
	base := claimsFor("https://issuer")
	tests := []struct {
		name    string
		changes map[string]any
		check   func(*jwtauth.Claims) bool
	}{
		{"aud array", map[string]any{"aud": []string{"a", audience}}, func(c *jwtauth.Claims) bool {
			return slices.Equal(c.Audience, []string{"a", audience})
		}},
		{"scope array", map[string]any{"scope": []string{"x", "y"}}, func(c *jwtauth.Claims) bool {
			return slices.Equal(c.Scopes, []string{"x", "y"})
		}},
		{"scope with extra spaces", map[string]any{"scope": " x  y "}, func(c *jwtauth.Claims) bool {
			return slices.Equal(c.Scopes, []string{"x", "y"})
		}},
		{"scp as Azure AD sends it", map[string]any{"scope": nil, "scp": "User.Read Mail.Read"}, func(c *jwtauth.Claims) bool {
			return slices.Equal(c.Scopes, []string{"User.Read", "Mail.Read"}) && c.HasScope("Mail.Read") && !c.HasScope("mail.read")
		}},
		{"scope and scp merged", map[string]any{"scp": []string{"api2", "api3"}}, func(c *jwtauth.Claims) bool {
			return slices.Equal(c.Scopes, []string{"api1", "api2", "api3"})
		}},
		{"no scope", map[string]any{"scope": nil}, func(c *jwtauth.Claims) bool { return len(c.Scopes) == 0 }},
		{"azp when no client_id", map[string]any{"client_id": nil, "azp": "app"}, func(c *jwtauth.Claims) bool { return c.ClientID == "app" }},
		{"fractional exp", map[string]any{"exp": float64(testNow.Unix()) + 0.5}, func(c *jwtauth.Claims) bool {
			return c.Expiry.Equal(testNow.Add(500 * time.Millisecond))
		}},
		{"escaped strings", map[string]any{"sub": "a\"b\\c\u00e9\n"}, func(c *jwtauth.Claims) bool { return c.Subject == "a\"b\\c\u00e9\n" }},
		{"null registered claims are absent", map[string]any{"nbf": json.RawMessage("null"), "jti": json.RawMessage("null")}, func(c *jwtauth.Claims) bool {
			return c.NotBefore.IsZero() && c.ID == ""
		}},
		{"other claims in Raw", map[string]any{"roles": []string{"admin"}, "tenant": map[string]any{"id": 7}}, func(c *jwtauth.Claims) bool {
			var roles []string
			var tenant struct{ ID int }
			return c.Decode("roles", &roles) == nil && slices.Equal(roles, []string{"admin"}) &&
				c.Decode("tenant", &tenant) == nil && tenant.ID == 7 && c.Decode("missing", &roles) != nil &&
				c.Decode("tenant", &roles) != nil && len(c.Raw) == 11
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := v.Validate(t.Context(), sign(t, k, nil, with(base, tt.changes)))
			wantErr(t, err, nil, "")
			if !tt.check(c) {
				t.Errorf("claims %+v", c)
			}
		})
	}
}

// Claims marshal as the token carried them, for tools that print them.
func TestClaimsJSON(t *testing.T) {
	t.Parallel()
	k := key("p256")
	v := staticValidator(t, "https://issuer", nil, k)
	c, err := v.Validate(t.Context(), sign(t, k, nil, `{"iss":"https://issuer","aud":"`+audience+`","exp":4102444800,"x":[1,2]}`))
	wantErr(t, err, nil, "")
	b, err := json.Marshal(c)
	if err != nil || string(b) != `{"aud":"https://api.example.com","exp":4102444800,"iss":"https://issuer","x":[1,2]}` {
		t.Errorf("MarshalJSON = %s, %v", b, err)
	}
	b, err = json.Marshal(&jwtauth.Claims{Subject: "s", Scopes: []string{"a", "b"}, Expiry: time.Unix(5, 0)})
	if err != nil || string(b) != `{"exp":5,"scope":"a b","sub":"s"}` {
		t.Errorf("MarshalJSON without Raw = %s, %v", b, err)
	}
}

// One changed character anywhere in the token: never accepted; in the
// payload or signature, a bad signature or a malformed token.
func TestTampered(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"rsa", "p256", "ed"} {
		t.Run(key(name).alg, func(t *testing.T) {
			t.Parallel()
			k := key(name)
			v := staticValidator(t, "https://issuer", nil, k)
			tok := sign(t, k, nil, claimsFor("https://issuer"))
			if _, err := v.Validate(t.Context(), tok); err != nil {
				t.Fatal(err)
			}
			firstDot := strings.IndexByte(tok, '.')
			for i := range len(tok) {
				if tok[i] == '.' {
					continue
				}
				for _, c := range []byte{'A', 'g', '_'} {
					if tok[i] == c {
						continue
					}
					bad := tok[:i] + string(c) + tok[i+1:]
					_, err := v.Validate(t.Context(), bad)
					switch {
					case err == nil:
						t.Fatalf("byte %d changed to %c: accepted", i, c)
					case i > firstDot && !errors.Is(err, jwtauth.ErrBadSignature) && !errors.Is(err, jwtauth.ErrMalformed):
						t.Fatalf("byte %d changed to %c: %v (%s), want bad signature or malformed", i, c, err, reasonOf(err))
					}
				}
			}
		})
	}
}

func TestAttacks(t *testing.T) {
	t.Parallel()
	rsaKey, ecKey, p384, ps := key("rsa"), key("p256"), key("p384"), key("ps")
	iss := "https://issuer"
	v := staticValidator(t, iss, func(o *jwtauth.Options) {
		o.Algorithms = []string{"RS256", "PS256", "ES256", "ES384"}
	}, rsaKey, ecKey, p384, ps)
	claims := claimsFor(iss)
	payload, _ := json.Marshal(claims)
	valid := sign(t, rsaKey, nil, claims)
	parts := strings.Split(valid, ".")

	// The classic confusion: HS256 keyed with the RSA public key's bytes.
	der, _ := x509.MarshalPKIXPublicKey(rsaKey.priv.Public())
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hs256 := func(secret []byte) string {
		input := b64([]byte(`{"alg":"HS256","kid":"`+rsaKey.kid+`","typ":"at+jwt"}`)) + "." + b64(payload)
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(input))
		return input + "." + b64(m.Sum(nil))
	}
	none := b64([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + b64(payload) + "."

	tests := []struct {
		name   string
		token  string
		reason error
		msg    string
	}{
		{"valid", valid, nil, ""},
		{"no kid: the keys that fit alg are tried", sign(t, rsaKey, map[string]any{"kid": nil}, claims), nil, ""},
		{"escaped header member names", signRaw(t, rsaKey, `{"\u0061lg":"RS256","kid":"`+rsaKey.kid+`","typ":"at\u002bjwt"}`, string(payload)), nil, ""},

		{"alg none", none, jwtauth.ErrAlgorithmNotAllowed, "algorithm none is not allowed (allowed: RS256, PS256, ES256, ES384)"},
		{"alg none with a signature", none + parts[2], jwtauth.ErrAlgorithmNotAllowed, ""},
		{"alg NONE", b64([]byte(`{"alg":"NONE"}`)) + "." + b64(payload) + ".", jwtauth.ErrAlgorithmNotAllowed, ""},
		{"alg with odd characters is quoted", b64([]byte(`{"alg":"a\"b c"}`)) + "." + b64(payload) + ".", jwtauth.ErrAlgorithmNotAllowed, `algorithm "a\"b c" is not allowed`},
		{"HS256 keyed with the public key PEM", hs256(pemBytes), jwtauth.ErrAlgorithmNotAllowed, "algorithm HS256 is not allowed"},
		{"HS256 keyed with the public key DER", hs256(der), jwtauth.ErrAlgorithmNotAllowed, ""},
		{"alg not in the allow-list", sign(t, key("ed"), nil, claims), jwtauth.ErrAlgorithmNotAllowed, "algorithm EdDSA is not allowed"},
		{"RS256 with the kid of an EC key", sign(t, rsaKey, map[string]any{"kid": ecKey.kid}, claims), jwtauth.ErrAlgorithmNotAllowed,
			`algorithm RS256 does not fit key "P256-KID", an EC P-256 key for ES256; the signature was not tried`},
		{"ES256 with the kid of a P-384 key", sign(t, ecKey, map[string]any{"kid": p384.kid}, claims), jwtauth.ErrAlgorithmNotAllowed, "an EC P-384 key"},
		{"ES256 with the kid of an RSA key", sign(t, ecKey, map[string]any{"kid": rsaKey.kid}, claims), jwtauth.ErrAlgorithmNotAllowed, "an RSA key"},
		{"RS256 with a key published for PS256", sign(t, &testKey{kid: ps.kid, alg: "RS256", priv: ps.priv}, nil, claims), jwtauth.ErrAlgorithmNotAllowed, "for PS256"},
		{"signed by another key with the same kid", sign(t, &testKey{kid: rsaKey.kid, alg: "RS256", priv: key("rsa2").priv}, nil, claims),
			jwtauth.ErrBadSignature, `the signature does not verify with key "RSA-KID"`},
		{"no kid, signed by another key", sign(t, key("rsa2"), map[string]any{"kid": nil}, claims), jwtauth.ErrBadSignature, "the signature verifies with no key that fits RS256 (1 tried)"},
		{"unknown kid", sign(t, key("rsa2"), nil, claims), jwtauth.ErrUnknownKey, `kid "RSA2-KID" is not among the keys of Options.JWKS, which are: RSA-KID, P256-KID, P384-KID, PS-KID`},
		{"empty signature", parts[0] + "." + parts[1] + ".", jwtauth.ErrBadSignature, ""},
		{"signature of another token", parts[0] + "." + b64([]byte(`{"exp":9999999999}`)) + "." + parts[2], jwtauth.ErrBadSignature, ""},

		{"crit header", sign(t, rsaKey, map[string]any{"crit": []string{"b64"}, "b64": false}, claims), jwtauth.ErrMalformed, "crit"},
		{"nested JWT", sign(t, rsaKey, map[string]any{"cty": "JWT"}, claims), jwtauth.ErrMalformed, "nested"},
		{"alg twice", signRaw(t, rsaKey, `{"alg":"RS256","alg":"HS256","kid":"`+rsaKey.kid+`","typ":"at+jwt"}`, string(payload)), jwtauth.ErrMalformed, "alg twice"},
		{"kid twice, escaped", signRaw(t, rsaKey, `{"alg":"RS256","kid":"x","k\u0069d":"`+rsaKey.kid+`","typ":"at+jwt"}`, string(payload)), jwtauth.ErrMalformed, "kid twice"},
		{"no alg", signRaw(t, rsaKey, `{"kid":"`+rsaKey.kid+`"}`, string(payload)), jwtauth.ErrMalformed, "no alg"},
		{"alg not a string", signRaw(t, rsaKey, `{"alg":256}`, string(payload)), jwtauth.ErrMalformed, "alg header is not a string"},
		{"header not JSON", b64([]byte(`{"alg":"RS256"`)) + "." + parts[1] + "." + parts[2], jwtauth.ErrMalformed, "header is not JSON"},
		{"header an array", b64([]byte(`["alg"]`)) + "." + parts[1] + "." + parts[2], jwtauth.ErrMalformed, "not a JSON object"},

		{"claim twice", sign(t, rsaKey, nil, `{"iss":"https://issuer","aud":"other","aud":"`+audience+`","exp":9999999999}`), jwtauth.ErrMalformed, `claim "aud" twice`},
		{"claim twice, escaped", sign(t, rsaKey, nil, `{"iss":"https://issuer","aud":"`+audience+`","\u0065xp":1,"exp":9999999999}`), jwtauth.ErrMalformed, `claim "exp" twice`},
		{"payload not JSON", sign(t, rsaKey, nil, `{"exp":`), jwtauth.ErrMalformed, "payload is not JSON"},
		{"payload an array", sign(t, rsaKey, nil, `[1]`), jwtauth.ErrMalformed, "not a JSON object"},
		{"payload not UTF-8", sign(t, rsaKey, nil, "{\"sub\":\"\xff\"}"), jwtauth.ErrMalformed, "payload is not JSON"},
		{"no exp", sign(t, rsaKey, nil, with(claims, map[string]any{"exp": nil})), jwtauth.ErrMalformed, "no expiry (exp)"},
		{"exp a string", sign(t, rsaKey, nil, with(claims, map[string]any{"exp": "9999999999"})), jwtauth.ErrMalformed, "exp claim is not a number"},
		{"exp far away", sign(t, rsaKey, nil, with(claims, map[string]any{"exp": 1e20})), jwtauth.ErrMalformed, "not a time between 1970 and 9999"},
		{"aud a number", sign(t, rsaKey, nil, with(claims, map[string]any{"aud": 7})), jwtauth.ErrMalformed, "aud claim is neither"},
		{"aud with a number", sign(t, rsaKey, nil, with(claims, map[string]any{"aud": []any{audience, 7}})), jwtauth.ErrMalformed, "element that is not a string"},
		{"iss an object", sign(t, rsaKey, nil, with(claims, map[string]any{"iss": map[string]any{}})), jwtauth.ErrMalformed, "iss claim is not a string"},

		{"empty", "", jwtauth.ErrMalformed, "token is empty"},
		{"JSON serialization", `{"payload":"` + parts[1] + `","signatures":[]}`, jwtauth.ErrMalformed, "JSON serialization"},
		{"one part", parts[0], jwtauth.ErrMalformed, "no dots"},
		{"two parts", parts[0] + "." + parts[1], jwtauth.ErrMalformed, "2 parts"},
		{"four parts", valid + ".x", jwtauth.ErrMalformed, "4 parts"},
		{"JWE", "a.b.c.d.e", jwtauth.ErrMalformed, "encrypted (JWE)"},
		{"padding", valid + "==", jwtauth.ErrMalformed, "signature is not base64url"},
		{"line break", parts[0] + "." + parts[1] + "." + parts[2][:10] + "\n" + parts[2][10:], jwtauth.ErrMalformed, "line break at byte"},
		{"standard base64", parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]) + "+/", jwtauth.ErrMalformed, "not base64url"},
		{"empty header", "." + parts[1] + "." + parts[2], jwtauth.ErrMalformed, "header part is empty"},
		{"too big", valid + strings.Repeat("A", 20000-len(valid)), jwtauth.ErrMalformed, "token is 20000 bytes, over the limit of 16384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := v.Validate(t.Context(), tt.token)
			wantErr(t, err, tt.reason, tt.msg)
			if (err == nil) != (c != nil) {
				t.Errorf("claims %v with error %v", c, err)
			}
		})
	}
}

// The last character of a part carries unused bits; they must be zero, so
// that no other text decodes to the same signature.
func TestNonCanonicalBase64(t *testing.T) {
	t.Parallel()
	k := key("rsa")
	v := staticValidator(t, "https://issuer", nil, k)
	tok := sign(t, k, nil, claimsFor("https://issuer"))
	// A 256-byte signature is 342 characters; the last one carries 4 bits
	// of data and 2 unused bits.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	for unused := 1; unused < 4; unused++ {
		bad := tok[:len(tok)-1] + string(alphabet[last|unused])
		_, err := v.Validate(t.Context(), bad)
		wantErr(t, err, jwtauth.ErrMalformed, "signature is not base64url")
	}
}

func TestTimes(t *testing.T) {
	t.Parallel()
	k := key("p256")
	iss := "https://issuer"
	base := claimsFor(iss)
	at := func(d time.Duration) float64 { return float64(testNow.Add(d).UnixMilli()) / 1000 }
	tests := []struct {
		name    string
		skew    time.Duration
		changes map[string]any
		reason  error
		msg     string
	}{
		{"expired beyond the skew", 0, map[string]any{"exp": at(-6 * time.Minute)}, jwtauth.ErrExpired,
			"token expired 6m0s ago (exp 2026-11-25T09:54:00Z; clock skew 5m0s)"},
		{"expired at the skew", 0, map[string]any{"exp": at(-5 * time.Minute)}, jwtauth.ErrExpired, "expired 5m0s ago"},
		{"expired within the skew", 0, map[string]any{"exp": at(-4*time.Minute - 59*time.Second)}, nil, ""},
		{"expired, skew 1s", time.Second, map[string]any{"exp": at(-2 * time.Second)}, jwtauth.ErrExpired, "expired 2s ago (exp 2026-11-25T09:59:58Z; clock skew 1s)"},
		{"not before, beyond the skew", 0, map[string]any{"nbf": at(6 * time.Minute)}, jwtauth.ErrNotYetValid,
			"token is not valid until 2026-11-25T10:06:00Z, 6m0s from now (nbf; clock skew 5m0s)"},
		{"not before, within the skew", 0, map[string]any{"nbf": at(5 * time.Minute)}, nil, ""},
		{"issued in the future, beyond the skew", 0, map[string]any{"iat": at(10 * time.Minute)}, jwtauth.ErrNotYetValid,
			"token was issued 10m0s in the future (iat 2026-11-25T10:10:00Z; clock skew 5m0s)"},
		{"issued in the future, within the skew", 0, map[string]any{"iat": at(4 * time.Minute)}, nil, ""},
		{"no nbf nor iat", 0, map[string]any{"nbf": nil, "iat": nil}, nil, ""},
		{"fraction of a second left", time.Nanosecond, map[string]any{"exp": at(time.Millisecond)}, nil, ""},
		{"fraction of a second late", time.Nanosecond, map[string]any{"exp": at(-time.Millisecond)}, jwtauth.ErrExpired, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := staticValidator(t, iss, func(o *jwtauth.Options) { o.ClockSkew = tt.skew }, k)
			_, err := v.Validate(t.Context(), sign(t, k, nil, with(base, tt.changes)))
			wantErr(t, err, tt.reason, tt.msg)
		})
	}
}

func TestIssuerAndAudience(t *testing.T) {
	t.Parallel()
	k := key("p256")
	iss := "https://issuer.example.com"
	base := claimsFor(iss)
	tests := []struct {
		name    string
		opts    func(*jwtauth.Options)
		changes map[string]any
		reason  error
		msg     string
	}{
		{"wrong issuer", nil, map[string]any{"iss": "https://x"}, jwtauth.ErrWrongIssuer, `issuer is "https://x", expected "https://issuer.example.com"`},
		{"issuer with a trailing slash", nil, map[string]any{"iss": iss + "/"}, jwtauth.ErrWrongIssuer, ""},
		{"issuer in another case", nil, map[string]any{"iss": strings.ToUpper(iss)}, jwtauth.ErrWrongIssuer, ""},
		{"no issuer", nil, map[string]any{"iss": nil}, jwtauth.ErrWrongIssuer, `token has no issuer (iss), expected "https://issuer.example.com"`},
		{"no Issuer option with static keys: iss not checked", func(o *jwtauth.Options) { o.Issuer = "" }, map[string]any{"iss": "https://x"}, nil, ""},
		{"wrong audience", nil, map[string]any{"aud": "b"}, jwtauth.ErrWrongAudience, `audience is ["b"], expected "https://api.example.com"`},
		{"audiences without ours", nil, map[string]any{"aud": []string{"b", "c"}}, jwtauth.ErrWrongAudience, `audience is ["b", "c"], expected`},
		{"audiences with ours", nil, map[string]any{"aud": []string{"b", audience}}, nil, ""},
		{"audience in another case", nil, map[string]any{"aud": strings.ToUpper(audience)}, jwtauth.ErrWrongAudience, ""},
		{"no audience", nil, map[string]any{"aud": nil}, jwtauth.ErrWrongAudience, `token has no audience (aud), expected "https://api.example.com"`},
		{"empty audience array", nil, map[string]any{"aud": []string{}}, jwtauth.ErrWrongAudience, "no audience"},
		{"audience check skipped", func(o *jwtauth.Options) { o.Audience, o.UnsafeSkipAudienceCheck = "", true }, map[string]any{"aud": "b"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := staticValidator(t, iss, tt.opts, k)
			_, err := v.Validate(t.Context(), sign(t, k, nil, with(base, tt.changes)))
			wantErr(t, err, tt.reason, tt.msg)
		})
	}
}

func TestTokenTypes(t *testing.T) {
	t.Parallel()
	k := key("p256")
	iss := "https://issuer"
	tests := []struct {
		name   string
		types  []string
		typ    any // nil: no typ header
		reason error
		msg    string
	}{
		{"at+jwt", nil, "at+jwt", nil, ""},
		{"application/at+jwt", nil, "application/at+jwt", nil, ""},
		{"case-insensitive", nil, "Application/AT+JWT", nil, ""},
		{"JWT refused by default", nil, "JWT", jwtauth.ErrWrongType, `typ is "JWT", expected at+jwt (set TokenTypes to accept it)`},
		{"no typ refused by default", nil, nil, jwtauth.ErrWrongType, `token has no typ, expected at+jwt (set TokenTypes to accept it: an entry "" accepts a token without typ)`},
		{"empty typ is no typ", nil, "", jwtauth.ErrWrongType, "no typ"},
		{"JWT accepted when listed", []string{"at+jwt", "JWT"}, "JWT", nil, ""},
		{"listed, another type", []string{"at+jwt", "JWT"}, "id_token+jwt", jwtauth.ErrWrongType, `typ is "id_token+jwt", expected at+jwt or JWT`},
		{"no typ accepted with an empty entry", []string{""}, nil, nil, ""},
		{"only no typ", []string{""}, "at+jwt", jwtauth.ErrWrongType, "expected no typ"},
		{"typ not a string", nil, 1, jwtauth.ErrMalformed, "typ header is not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := staticValidator(t, iss, func(o *jwtauth.Options) { o.TokenTypes = tt.types }, k)
			h := map[string]any{"typ": tt.typ}
			_, err := v.Validate(t.Context(), sign(t, k, h, claimsFor(iss)))
			wantErr(t, err, tt.reason, tt.msg)
		})
	}
}

func TestRequiredScopes(t *testing.T) {
	t.Parallel()
	k := key("p256")
	iss := "https://issuer"
	base := claimsFor(iss)
	tests := []struct {
		name     string
		required []string
		changes  map[string]any
		reason   error
		msg      string
	}{
		{"has them", []string{"api2", "api1"}, nil, nil, ""},
		{"array", []string{"api1"}, map[string]any{"scope": []string{"api1"}}, nil, ""},
		{"scp", []string{"api1"}, map[string]any{"scope": nil, "scp": "api1"}, nil, ""},
		{"missing", []string{"api1", "api3"}, nil, jwtauth.ErrInsufficientScope, `missing scope "api3" (has: api1 api2)`},
		{"none at all", []string{"api1"}, map[string]any{"scope": nil}, jwtauth.ErrInsufficientScope, `missing scope "api1" (has: none)`},
		{"case-sensitive", []string{"API1"}, nil, jwtauth.ErrInsufficientScope, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := staticValidator(t, iss, func(o *jwtauth.Options) { o.RequiredScopes = tt.required }, k)
			_, err := v.Validate(t.Context(), sign(t, k, nil, with(base, tt.changes)))
			wantErr(t, err, tt.reason, tt.msg)
			var ve *jwtauth.ValidationError
			if errors.As(err, &ve) && !slices.Equal(ve.Scopes, tt.required) {
				t.Errorf("Scopes %q, want %q", ve.Scopes, tt.required)
			}
		})
	}
}

func TestMaxTokenSize(t *testing.T) {
	t.Parallel()
	k := key("p256")
	iss := "https://issuer"
	big := with(claimsFor(iss), map[string]any{"pad": strings.Repeat("x", 10000)})
	v := staticValidator(t, iss, nil, k)
	if _, err := v.Validate(t.Context(), sign(t, k, nil, big)); err != nil {
		t.Errorf("a 14 KB token under the default limit: %v", err)
	}
	small := staticValidator(t, iss, func(o *jwtauth.Options) { o.MaxTokenSize = 100 }, k)
	tok := sign(t, k, nil, claimsFor(iss))
	_, err := small.Validate(t.Context(), tok)
	wantErr(t, err, jwtauth.ErrMalformed, "over the limit of 100")
}

func TestNewRefusesBadOptions(t *testing.T) {
	t.Parallel()
	good := jwks(t, key("rsa"))
	tests := []struct {
		name string
		opts jwtauth.Options
		msgs []string
	}{
		{"nothing", jwtauth.Options{}, []string{"Issuer is empty", "Audience is empty"}},
		{"audience and skip", jwtauth.Options{JWKS: good, Audience: "a", UnsafeSkipAudienceCheck: true}, []string{"not both"}},
		{"HS256", jwtauth.Options{JWKS: good, Audience: "a", Algorithms: []string{"RS256", "HS256"}}, []string{`algorithm "HS256" is refused: it is symmetric`}},
		{"hs512", jwtauth.Options{JWKS: good, Audience: "a", Algorithms: []string{"hs512"}}, []string{"symmetric"}},
		{"none", jwtauth.Options{JWKS: good, Audience: "a", Algorithms: []string{"none"}}, []string{`algorithm "none" is refused`}},
		{"unknown algorithm", jwtauth.Options{JWKS: good, Audience: "a", Algorithms: []string{"RS1"}}, []string{`algorithm "RS1" is not supported`}},
		{"empty algorithms", jwtauth.Options{JWKS: good, Audience: "a", Algorithms: []string{}}, []string{"Algorithms is empty"}},
		{"empty types", jwtauth.Options{JWKS: good, Audience: "a", TokenTypes: []string{}}, []string{"TokenTypes is empty"}},
		{"negative numbers", jwtauth.Options{JWKS: good, Audience: "a", ClockSkew: -1, MaxTokenSize: -1, MinRefreshInterval: -1},
			[]string{"ClockSkew is negative", "MaxTokenSize is negative", "MinRefreshInterval is negative"}},
		{"bad scope", jwtauth.Options{JWKS: good, Audience: "a", RequiredScopes: []string{"a b"}}, []string{`RequiredScopes has "a b"`}},
		{"http issuer", jwtauth.Options{Issuer: "http://auth.example.com", Audience: "a"}, []string{"is http", "UnsafeAllowHTTP"}},
		{"relative issuer", jwtauth.Options{Issuer: "auth.example.com", Audience: "a"}, []string{"not an absolute http(s) URL"}},
		{"issuer with a query", jwtauth.Options{Issuer: "https://auth.example.com/?x=1", Audience: "a"}, []string{"query or fragment"}},
		{"http JWKSURI", jwtauth.Options{Issuer: "x", JWKSURI: "http://keys.example.com/jwks", Audience: "a"}, []string{"JWKSURI", "is http"}},
		{"JWKS and JWKSURI", jwtauth.Options{JWKS: good, JWKSURI: "https://keys.example.com/jwks", Audience: "a"}, []string{"not both"}},
		{"JWKS not JSON", jwtauth.Options{JWKS: []byte("{"), Audience: "a"}, []string{"JWKS: not a JSON Web Key Set"}},
		{"JWKS without keys", jwtauth.Options{JWKS: []byte(`{"keys":[]}`), Audience: "a"}, []string{"JWKS has no usable key (skipped: none)"}},
		{"JWKS with only a small RSA key", jwtauth.Options{JWKS: jwks(t, key("rsa1024")), Audience: "a"}, []string{`key "RSA1024-KID": RSA key of 1024 bits, under 2048`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := jwtauth.New(t.Context(), tt.opts)
			if err == nil {
				v.Close()
				t.Fatal("no error")
			}
			for _, m := range tt.msgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
		})
	}
}

// Keys that cannot verify are skipped, each with a log line.
func TestKeySetFiltering(t *testing.T) {
	t.Parallel()
	good := key("rsa")
	pub := func(k *testKey, change func(map[string]any)) json.RawMessage {
		b, _ := json.Marshal(k.jwk())
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		change(m)
		b, _ = json.Marshal(m)
		return b
	}
	private, _ := json.Marshal(jose.JSONWebKey{Key: key("rsa2").priv, KeyID: "PRIVATE", Use: "sig"})
	keys := []json.RawMessage{
		pub(key("rsa1024"), func(map[string]any) {}),
		json.RawMessage(`{"kty":"oct","kid":"HMAC","k":"c2VjcmV0"}`),
		private,
		pub(key("rsa3"), func(m map[string]any) { m["kid"], m["use"] = "ENC", "enc" }),
		pub(key("rsa3"), func(m map[string]any) { m["kid"], m["key_ops"] = "OPS", []string{"encrypt"} }),
		pub(key("rsa3"), func(m map[string]any) { m["kid"], m["alg"] = "HS", "HS256" }),
		pub(key("rsa3"), func(m map[string]any) { m["kid"], m["alg"] = "MISFIT", "ES256" }),
		json.RawMessage(`{"kty":"XYZ","kid":"ALIEN"}`),
		json.RawMessage(`{"kty":"EC","kid":"BROKEN","crv":"P-256","x":"AAAA","y":"AAAA"}`),
		json.RawMessage(`"not a key"`),
		pub(good, func(map[string]any) {}),
		pub(key("rsa3"), func(m map[string]any) { m["kid"], m["key_ops"] = "VERIFY", []string{"verify"} }),
	}
	set, _ := json.Marshal(map[string]any{"keys": keys})
	var logs bytes.Buffer
	v, err := jwtauth.New(t.Context(), jwtauth.Options{JWKS: set, Audience: audience, Now: func() time.Time { return testNow },
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if ids := v.KeyIDs(); !slices.Equal(ids, []string{good.kid, "VERIFY"}) {
		t.Errorf("KeyIDs %q", ids)
	}
	for _, want := range []string{
		`RSA1024-KID\": RSA key of 1024 bits, under 2048`, `HMAC\": symmetric (oct) key`, `PRIVATE\": it has private key material`,
		`ENC\": use is \"enc\", not sig`, `OPS\": key_ops [\"encrypt\"] has no verify`, `HS\": alg \"HS256\" is not a supported signature algorithm`,
		`MISFIT\": alg ES256 does not fit an RSA key`, `ALIEN\": kty \"XYZ\" is not supported (RSA, EC and OKP are)`, `BROKEN\"`, `key #10: not a JSON Web Key`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log has no %q:\n%s", want, logs.String())
		}
	}
	if n := strings.Count(logs.String(), "key skipped"); n != 10 {
		t.Errorf("%d keys skipped, want 10", n)
	}
	_, err = v.Validate(t.Context(), sign(t, key("rsa1024"), nil, claimsFor("")))
	wantErr(t, err, jwtauth.ErrUnknownKey, `kid "RSA1024-KID" is not among`)
	_, err = v.Validate(t.Context(), sign(t, good, nil, claimsFor("")))
	wantErr(t, err, nil, "")
}

func TestErrorsIsAs(t *testing.T) {
	t.Parallel()
	k := key("p256")
	v := staticValidator(t, "https://issuer", nil, k)
	_, err := v.Validate(t.Context(), sign(t, k, nil, with(claimsFor("https://issuer"), map[string]any{"exp": testNow.Add(-time.Hour).Unix()})))
	var ve *jwtauth.ValidationError
	if !errors.As(err, &ve) || ve.Reason != jwtauth.ErrExpired || ve.KeyID != k.kid {
		t.Fatalf("error %#v", err)
	}
	for _, s := range sentinels {
		if got := errors.Is(err, s); got != (s == jwtauth.ErrExpired) {
			t.Errorf("errors.Is(err, %v) = %v", s, got)
		}
	}
	if errors.Unwrap(err) != nil {
		t.Errorf("Unwrap = %v, want nil", errors.Unwrap(err))
	}
	wrapped := errors.Join(errors.New("context"), err)
	if !errors.Is(wrapped, jwtauth.ErrExpired) {
		t.Error("errors.Is through a wrapper fails")
	}
	if (&jwtauth.ValidationError{Reason: jwtauth.ErrExpired}).Error() != jwtauth.ErrExpired.Error() {
		t.Error("Error without Detail is not the Reason's")
	}
}
