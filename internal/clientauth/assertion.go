package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/storage"
)

const (
	// maxAssertionBytes bounds a client assertion.
	maxAssertionBytes = 16 << 10
	// MaxAssertionLifetime is how far in the future a client assertion's
	// exp may be: assertions are made per request and must be short-lived,
	// which also bounds how long their jti is remembered. Ten minutes is
	// what MSAL (Microsoft.Identity.Client) gives its assertions.
	MaxAssertionLifetime = 10 * time.Minute
	// assertionSkew tolerates clocks that differ a little.
	assertionSkew = time.Minute
)

// AssertionType is the typ of an explicitly typed client assertion
// (draft-ietf-oauth-rfc7523bis): its aud must be the issuer, as one string.
const AssertionType = "client-authentication+jwt"

// AssertionAlgorithms are the algorithms a client assertion may be signed
// with: asymmetric only (RFC 7523 allows HMAC with the client secret;
// Signet does not, a hashed secret cannot verify one).
var AssertionAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// ReplayCache remembers client assertion jtis (storage.ReplayCache).
type ReplayCache interface {
	// UseOnce records (clientID, jti) until expires, failing with an error
	// wrapping storage.ErrAlreadyExists if it was recorded before.
	UseOnce(ctx context.Context, clientID, jti string, expires time.Time) error
}

func assertionError(format string, args ...any) *oauth.Error {
	return oauth.ClientError(false, "client assertion: "+format, args...)
}

// failedAssertion is the one answer to an assertion whose signature could
// not be verified for whatever reason.
func failedAssertion() *oauth.Error {
	return assertionError("client authentication failed: unknown client, or the signature does not verify with the client's registered keys (check kid, alg and the keys in jwks or at jwksUri)")
}

// checkAssertion authenticates a client by private_key_jwt (RFC 7523 §2.2,
// OpenID Connect Core §9): a JWT it signed, whose iss and sub are its
// client_id, whose aud is the issuer (see checkAudience), which expires
// soon, and whose jti is used once.
func (a *Authenticator) checkAssertion(ctx context.Context, cr *Credentials, issuer string) (*client.Client, *oauth.Error) {
	switch {
	case cr.AssertionType == "":
		return nil, oauth.Errorf(oauth.InvalidRequest, "client_assertion was sent without client_assertion_type")
	case cr.AssertionType != oauth.ClientAssertionJWT:
		return nil, assertionError("client_assertion_type %q is not supported; use %s", logattr.Cut(cr.AssertionType), oauth.ClientAssertionJWT)
	case cr.Assertion == "":
		return nil, oauth.Errorf(oauth.InvalidRequest, "client_assertion_type was sent without client_assertion")
	}
	tok, claims, err := parseAssertion(cr.Assertion)
	if err != nil {
		return nil, assertionError("%v", err)
	}
	clientID := claims.Subject
	if clientID == "" {
		return nil, assertionError("it has no sub; sub and iss must be the client_id")
	}
	if cr.ClientID != "" && cr.ClientID != clientID {
		return nil, assertionError("client_id %q differs from the assertion's sub %q", logattr.Cut(cr.ClientID), logattr.Cut(clientID))
	}
	// Until the signature is verified, every failure gets the same answer,
	// in the same time (one signature verified, see verifyDummy): whether
	// the client exists, and how it authenticates, is for the log.
	h := tok.Headers[0]
	c, err := a.Clients.Client(ctx, clientID)
	if errors.Is(err, client.ErrUnknown) {
		a.verifyDummy(tok, h, cr.Assertion)
		a.log(ctx, "client authentication failed", logattr.String("client_id", clientID), slog.String("reason", err.Error()))
		return nil, failedAssertion()
	} else if err != nil {
		return nil, storageError(err)
	}
	if !c.UsesKeys() {
		a.verifyDummy(tok, h, cr.Assertion)
		a.log(ctx, "client authentication failed", logattr.String("client_id", clientID), slog.String("reason", "the client has no jwks or jwksUri for private_key_jwt"))
		return nil, failedAssertion()
	}
	if err := a.verifyWithClientKeys(ctx, c, tok, h, cr.Assertion, &claims); err != nil {
		a.log(ctx, "client authentication failed", logattr.String("client_id", clientID), logattr.Text("reason", err.Error()))
		return nil, failedAssertion()
	}
	// Refused after the signature is verified, so that only the client's
	// own requests write this error, and with the answer every other
	// failure gets: the cause is the server's configuration, for the
	// operator to fix.
	if !a.IssuerConfigured {
		if a.Logger != nil {
			a.Logger.LogAttrs(ctx, slog.LevelError, "private_key_jwt refused: no issuer is configured; set issuer to the URL clients use (such as https://auth.example.com) and restart",
				logattr.String("client_id", clientID),
				slog.String("reason", "without a configured issuer the audience an assertion is checked against would come from the request's Host header, which whoever sends it chooses"))
		}
		return nil, failedAssertion()
	}
	now := a.now()
	switch {
	case claims.Issuer != clientID:
		return nil, assertionError("iss %q must be the client_id %q", logattr.Cut(claims.Issuer), logattr.Cut(clientID))
	case claims.Expiry == nil:
		return nil, assertionError("it has no exp; client assertions must expire, within %v", MaxAssertionLifetime)
	case claims.ID == "":
		return nil, assertionError("it has no jti; each assertion needs a unique jti (RFC 7523 §3)")
	case len(claims.ID) > 256:
		return nil, assertionError("its jti is over 256 characters")
	}
	if err := a.checkAudience(claims.Aud, explicitlyTyped(h), issuer); err != nil {
		return nil, err
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Time: now}, assertionSkew); err != nil {
		return nil, assertionError("%v", describeValidation(err, claims, now))
	}
	exp := claims.Expiry.Time()
	if exp.Sub(now) > MaxAssertionLifetime+assertionSkew {
		return nil, assertionError("it expires in %v; client assertions must expire within %v", exp.Sub(now).Round(time.Second), MaxAssertionLifetime)
	}
	// The database may be slow or gone: the request waits for it a bounded
	// time, then hears temporarily_unavailable.
	dbCtx, cancel := context.WithTimeout(ctx, a.storageTimeout())
	defer cancel()
	if err := a.Replay.UseOnce(dbCtx, clientID, claims.ID, exp.Add(assertionSkew)); err != nil {
		if errors.Is(err, storage.ErrAlreadyExists) {
			a.log(ctx, "client authentication failed", logattr.String("client_id", clientID), slog.String("reason", "replayed assertion"))
			return nil, assertionError("its jti was used before; sign a new assertion, with a new jti, for each request")
		}
		if errors.Is(err, storage.ErrInvalid) {
			return nil, assertionError("its jti or sub cannot be stored (%s)", logattr.Cut(err.Error()))
		}
		return nil, storageError(fmt.Errorf("replay cache: %w", err))
	}
	return c, nil
}

// assertionClaims are a client assertion's claims, with aud as sent.
type assertionClaims struct {
	jwt.Claims
	// Aud hides jwt.Claims' Audience, which is left empty (so that
	// ValidateWithLeeway checks no audience: checkAudience does).
	Aud assertionAudience `json:"aud"`
}

// assertionAudience is aud as sent: its values, and whether it was one
// string rather than an array.
type assertionAudience struct {
	values jwt.Audience
	single bool
}

func (a *assertionAudience) UnmarshalJSON(b []byte) error {
	a.single = len(b) > 0 && b[0] == '"'
	return a.values.UnmarshalJSON(b)
}

// explicitlyTyped reports whether the assertion's typ is AssertionType,
// with or without "application/", in any case (RFC 7515 §4.1.9).
func explicitlyTyped(h jose.Header) bool {
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	const prefix = "application/"
	if len(typ) > len(prefix) && strings.EqualFold(typ[:len(prefix)], prefix) {
		typ = typ[len(prefix):]
	}
	return strings.EqualFold(typ, AssertionType)
}

// checkAudience checks a verified assertion's aud against the issuer
// (draft-ietf-oauth-rfc7523bis, against audience injection:
// CVE-2025-27370, CVE-2025-27371). Strict, for an assertion typed
// client-authentication+jwt or with StrictAssertionAudience: the issuer
// alone, as one string. Otherwise, as RFC 7523 and OpenID Connect Core §9
// allowed: the issuer or the token endpoint's URL, alone or in an array.
// Values are compared as strings (RFC 3986 §6.2.1).
func (a *Authenticator) checkAudience(aud assertionAudience, typed bool, issuer string) *oauth.Error {
	if typed || a.StrictAssertionAudience {
		if aud.single && len(aud.values) == 1 && aud.values[0] == issuer {
			return nil
		}
		why := "strictClientAssertionAudience is set"
		if typed {
			why = "its typ is " + AssertionType
		}
		switch {
		case len(aud.values) == 0:
			return assertionError("it has no aud; aud must be the issuer %q, as a single string (%s; draft-ietf-oauth-rfc7523bis)", issuer, why)
		case !aud.single:
			return assertionError("aud is an array, %s; it must be the issuer %q as a single string, not an array (%s; draft-ietf-oauth-rfc7523bis)", aud, issuer, why)
		}
		return assertionError("aud %s must be the issuer %q (%s; draft-ietf-oauth-rfc7523bis)", aud, issuer, why)
	}
	for _, v := range aud.values {
		if v == issuer || isTokenEndpoint(v, issuer) || a.isEndpoint(v, issuer) {
			return nil
		}
	}
	endpoint := strings.TrimSuffix(issuer, "/") + tokenPath
	if len(aud.values) == 0 {
		return assertionError("it has no aud; aud must be the issuer %q (or, for clients made before draft-ietf-oauth-rfc7523bis, the token endpoint %q)", issuer, endpoint)
	}
	return assertionError("aud %s must be the issuer %q (or, for clients made before draft-ietf-oauth-rfc7523bis, the token endpoint %q)", aud, issuer, endpoint)
}

// tokenPath is the token endpoint's path (grant.Path): an assertion may
// name the token endpoint as its audience, whichever endpoint it is sent
// to (RFC 7523 §3).
const tokenPath = "/connect/token"

// isTokenEndpoint reports whether a is the token endpoint's URL of issuer,
// without building it.
func isTokenEndpoint(a, issuer string) bool {
	base := strings.TrimSuffix(issuer, "/")
	return len(a) == len(base)+len(tokenPath) && strings.HasPrefix(a, base) && strings.HasSuffix(a, tokenPath)
}

// isEndpoint reports whether aud is the URL of the endpoint the
// Authenticator serves (EndpointPath) under issuer.
func (a *Authenticator) isEndpoint(aud, issuer string) bool {
	base := strings.TrimSuffix(issuer, "/")
	p := a.EndpointPath
	return p != "" && len(aud) == len(base)+len(p) && strings.HasPrefix(aud, base) && strings.HasSuffix(aud, p)
}

// String is aud for an error, as sent (a string or an array), cut.
func (a assertionAudience) String() string {
	if a.single && len(a.values) == 1 {
		return strconv.Quote(logattr.Cut(a.values[0]))
	}
	return logattr.Cut(fmt.Sprintf("%q", []string(a.values)))
}

// parseAssertion parses a signed JWT with an allowed algorithm and reads its
// claims WITHOUT verifying them: only to find the client whose keys verify
// it. Nothing read here is trusted before verifyWithClientKeys.
func parseAssertion(s string) (*jwt.JSONWebToken, assertionClaims, error) {
	var claims assertionClaims
	if len(s) > maxAssertionBytes {
		return nil, claims, fmt.Errorf("it is over %d KiB", maxAssertionBytes>>10)
	}
	tok, err := jwt.ParseSigned(s, AssertionAlgorithms)
	if err != nil {
		if _, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
			return nil, claims, fmt.Errorf("its algorithm is not allowed; sign it with one of %v (no none, no HMAC)", AssertionAlgorithms)
		}
		return nil, claims, errors.New("it is not a signed JWT (compact JWS)")
	}
	if len(tok.Headers) != 1 {
		return nil, claims, errors.New("it must have exactly one signature")
	}
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		return nil, claims, errors.New("its claims are not a JSON object of JWT claims")
	}
	return tok, claims, nil
}

// verifyWithClientKeys checks the signature with the client's keys: the one
// its kid names, else every key of a fitting algorithm. For keys from a
// jwksUri an unknown kid triggers one refetch. With no key to verify it
// with, it verifies with a dummy key (verifyDummy): a wrong kid takes as
// long to refuse as a wrong signature.
func (a *Authenticator) verifyWithClientKeys(ctx context.Context, c *client.Client, tok *jwt.JSONWebToken, h jose.Header, raw string, claims *assertionClaims) error {
	set := c.Keys
	fromURI := set == nil
	var err error
	if fromURI {
		if set, err = a.RemoteKeys.Keys(ctx, c.KeysURI, false); err != nil {
			a.verifyDummy(tok, h, raw)
			return fmt.Errorf("the client's jwksUri could not be read: %w", err)
		}
	}
	candidates := matchingKeys(set, h)
	if len(candidates) == 0 && fromURI && h.KeyID != "" {
		if set, err = a.RemoteKeys.Keys(ctx, c.KeysURI, true); err == nil {
			candidates = matchingKeys(set, h)
		}
	}
	if len(candidates) == 0 {
		a.verifyDummy(tok, h, raw)
		if h.KeyID != "" {
			return fmt.Errorf("no key with kid %q and algorithm %s among the client's keys", logattr.Cut(h.KeyID), h.Algorithm)
		}
		return fmt.Errorf("no key for algorithm %s among the client's keys", h.Algorithm)
	}
	for _, k := range candidates {
		var verified assertionClaims
		if a.verifySignature(tok, k.Key, &verified) {
			*claims = verified
			return nil
		}
	}
	return errors.New("the signature does not verify with the client's keys")
}

// verifySignature reports whether tok's signature verifies with key,
// reading its claims into dest if it does.
func (a *Authenticator) verifySignature(tok *jwt.JSONWebToken, key any, dest *assertionClaims) bool {
	if a.onVerify != nil {
		a.onVerify(key)
	}
	return tok.Claims(key, dest) == nil
}

// verifyDummy verifies tok's signature with a dummy key of the family of
// its alg, and ignores the result: for an assertion that has no key of a
// client to be verified with (an unknown client, one without keys, a kid
// or alg none of its keys has), so that it takes as long to refuse as one
// whose signature does not verify, and whether a client exists cannot be
// told by the time its answer takes (as dummyHash does for secrets).
//
// An RSA key has the size the signature's length says, if that is 2048,
// 3072 or 4096 bits, the sizes clients use; else 2048, which refuses the
// signature at once for its length, as a client's key would: an attacker
// can make Signet do no more work than a real client's key of a usual size.
func (a *Authenticator) verifyDummy(tok *jwt.JSONWebToken, h jose.Header, raw string) {
	key := dummyKey(jose.SignatureAlgorithm(h.Algorithm), base64.RawURLEncoding.DecodedLen(len(raw)-strings.LastIndexByte(raw, '.')-1))
	if key == nil {
		return // not an algorithm parseAssertion lets through
	}
	var discard assertionClaims
	_ = a.verifySignature(tok, key, &discard)
}

// dummyKey is the dummy public key for alg, given the signature's length
// in bytes (which sets an RSA key's size).
func dummyKey(alg jose.SignatureAlgorithm, sigLen int) any {
	k := dummyKeys()
	switch alg {
	case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
		for _, rk := range k.rsa {
			if rk.Size() == sigLen {
				return rk
			}
		}
		return k.rsa[0]
	case jose.ES256:
		return k.p256
	case jose.ES384:
		return k.p384
	case jose.ES512:
		return k.p521
	case jose.EdDSA:
		return k.ed25519
	}
	return nil
}

type dummyKeySet struct {
	rsa              []*rsa.PublicKey // 2048, 3072 and 4096 bits
	p256, p384, p521 *ecdsa.PublicKey
	ed25519          ed25519.PublicKey
}

// dummyKeys are made once, when first needed (a few milliseconds).
var dummyKeys = sync.OnceValue(func() *dummyKeySet {
	k := &dummyKeySet{}
	// An RSA public key need not come from a private key to cost what
	// verifying with one costs (one exponentiation by 65537 modulo N): an
	// odd random N of the size, whose factors nobody knows, is made in
	// microseconds where generating a key pair takes a second.
	for _, bits := range []int{2048, 3072, 4096} {
		buf := make([]byte, bits/8)
		_, _ = rand.Read(buf)
		buf[0] |= 0x80
		buf[len(buf)-1] |= 1
		k.rsa = append(k.rsa, &rsa.PublicKey{N: new(big.Int).SetBytes(buf), E: 65537})
	}
	for _, c := range []struct {
		curve elliptic.Curve
		dst   **ecdsa.PublicKey
	}{{elliptic.P256(), &k.p256}, {elliptic.P384(), &k.p384}, {elliptic.P521(), &k.p521}} {
		priv, err := ecdsa.GenerateKey(c.curve, rand.Reader)
		if err != nil {
			panic("clientauth: dummy key: " + err.Error()) // crypto/rand does not fail
		}
		*c.dst = &priv.PublicKey
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic("clientauth: dummy key: " + err.Error())
	}
	k.ed25519 = pub
	return k
})

// matchingKeys are the keys that may have signed: the one the kid names;
// else, when the header carries a certificate thumbprint (x5t, as MSAL
// sends it beside its own kid), the key of that certificate; else, with
// neither, every key. The key's alg and use must fit.
func matchingKeys(set *jose.JSONWebKeySet, h jose.Header) []jose.JSONWebKey {
	out := filterKeys(set, h, func(k jose.JSONWebKey) bool { return h.KeyID == "" || k.KeyID == h.KeyID })
	if len(out) == 0 && h.KeyID != "" {
		if x5t, ok := h.ExtraHeaders["x5t"].(string); ok && x5t != "" {
			out = filterKeys(set, h, func(k jose.JSONWebKey) bool {
				return len(k.CertificateThumbprintSHA1) > 0 && base64.RawURLEncoding.EncodeToString(k.CertificateThumbprintSHA1) == strings.TrimRight(x5t, "=")
			})
		}
	}
	return out
}

func filterKeys(set *jose.JSONWebKeySet, h jose.Header, pick func(jose.JSONWebKey) bool) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range set.Keys {
		if !pick(k) {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != h.Algorithm {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if !k.IsPublic() || !k.Valid() {
			continue
		}
		out = append(out, k)
	}
	return out
}

func describeValidation(err error, c assertionClaims, now time.Time) string {
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return fmt.Sprintf("it expired %v ago", now.Sub(c.Expiry.Time()).Round(time.Second))
	case errors.Is(err, jwt.ErrNotValidYet):
		return fmt.Sprintf("it is not valid before %s (nbf)", c.NotBefore.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return fmt.Sprintf("it was issued in the future (iat %s): check the client's clock", c.IssuedAt.Time().UTC().Format(time.RFC3339))
	}
	return err.Error()
}
