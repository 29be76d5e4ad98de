// Package jwtauth validates JWT access tokens in an API, and reference
// tokens through introspection: the Go counterpart of ASP.NET Core's
// JwtBearer handler (and of IdentityModel's OAuth2Introspection). It works with any
// OpenID provider (Signet, IdentityServer, Keycloak, Azure AD, ...), and
// it imports nothing of Signet's: only the standard library and go-jose
// (for reading JSON Web Keys).
//
//	v, err := jwtauth.New(ctx, jwtauth.Options{
//		Issuer:   "https://auth.example.com",
//		Audience: "https://api.example.com",
//	})
//	if err != nil {
//		return err // bad options; an unreachable issuer is not an error
//	}
//	defer v.Close()
//	mux.Handle("/orders", v.Middleware(orders))
//	mux.Handle("POST /orders", v.RequireScopes("orders.write")(createOrder))
//
// Validate checks a token for any transport; Middleware and RequireScopes
// do it for net/http, answering as RFC 6750 says; ClaimsFromContext gives
// the handler the claims. A refused token's error is a *ValidationError
// whose Reason (ErrExpired, ErrWrongAudience, ErrUnknownKey, ...) callers
// test with errors.Is, and whose message says exactly what failed:
// `kid "ABC" is not among the issuer's keys, which are: K1, K2`,
// `token expired 3m0s ago (exp 2026-11-25T10:00:00Z; clock skew 5m0s)`,
// `audience is ["b"], expected "a"`.
//
// # What is checked, in order
//
// The signature first, and only then the claims:
//
//   - the size (MaxTokenSize, 16 KiB by default), before anything is
//     decoded;
//   - the compact form: exactly three parts of strict base64url (no
//     padding, no line breaks, no unused bits set), a JSON header with a
//     string alg, no member twice, no crit (no extension is implemented),
//     no nested JWT; a JWE or the JSON serialization is refused;
//   - alg in the allow-list. none and the HMAC algorithms are never
//     allowed: New refuses them, so the classic confusion (HS256 keyed
//     with the issuer's public key) cannot work;
//   - typ: at+jwt by default (RFC 9068 §2.1), case-insensitive, with or
//     without "application/". Providers that send "JWT" need
//     TokenTypes: []string{"at+jwt", "JWT"}. (JwtBearer accepts any typ by
//     default, which lets an ID token pass for an access token.);
//   - the key: the one with the token's kid (without kid, each key that
//     fits alg). The key must fit alg by type and curve (an EC key for
//     RS256, or a P-384 key for ES256, is refused without trying it), and
//     its own alg, if the JWK has one, must equal the header's. The jku,
//     jwk, x5u and x5c headers are ignored: keys come only from the
//     issuer's key set;
//   - the signature (RS256/384/512, PS256/384/512, ES256/384/512, EdDSA
//     with Ed25519);
//   - iss, equal to Issuer byte for byte; aud, a string or an array, must
//     contain Audience; exp, required (RFC 9068 §2.2); nbf and iat, if
//     present, not in the future (an iat in the future is a clock
//     problem worth refusing). Each time check allows ClockSkew, 5 minutes
//     by default, as JwtBearer's TokenValidationParameters.ClockSkew;
//   - RequiredScopes, from the scope claim (a space-delimited string, or an
//     array) and from scp (Azure AD).
//
// Registered claims must have their registered types, and a claim named
// twice is refused rather than resolved one way or the other.
//
// # Keys
//
// New reads the discovery document at Issuer +
// "/.well-known/openid-configuration", checks that its issuer member is
// Issuer exactly (a mismatch is a configuration error, which New reports),
// and reads the key set at its jwks_uri; or reads JWKSURI directly; or
// takes the static JWKS. Keys that cannot verify tokens are skipped, with a
// log line saying why: symmetric keys, keys with private material, use
// other than sig, unsupported types, RSA keys under 2048 bits.
//
// The keys are refreshed in the background when the key set's
// Cache-Control max-age says, bounded to between 1 minute and 24 hours,
// and every hour when there is none; the ETag is sent back, so an
// unchanged set costs a 304. A token whose kid is unknown makes the
// Validator fetch the key set again at once, so a new key is accepted
// without a restart; however many requests wait for that fetch, there is
// one (a single flight), and such fetches are at least MinRefreshInterval
// (1 minute) apart, so a flood of tokens with made-up kids costs the
// issuer nothing.
//
// Every fetch is bounded: 10 seconds, 1 MiB, and by default no redirect to
// another host or from https to http. The issuer must be https, except on
// a loopback host (or with UnsafeAllowHTTP).
//
// # When the issuer is down
//
// An API must be able to start before its identity provider. If the keys
// cannot be fetched, New still returns a Validator (after waiting at most
// until its ctx ends); it keeps trying in the background, with a backoff
// from 1 second to 30 seconds; Validate returns ErrKeysUnavailable, whose
// message says which URL failed and why; Ready says the same, for a
// readiness probe; and Middleware answers 503 with Retry-After rather than
// 401, since the token may well be valid.
//
// Once the keys are loaded, a failing refresh changes nothing: the cached
// keys keep working, the failure is logged, and the fetch is retried with
// backoff (up to 5 minutes). Validate only ever waits for a fetch when it
// needs one (an unknown kid, or no keys yet), and then at most until its
// ctx ends or the fetch times out.
//
// # Reference tokens
//
// With Options.Introspection (the API resource's name and secret at the
// token service), the Validator accepts reference tokens too: a token
// that is not three dot-separated parts is posted to the issuer's
// introspection endpoint (RFC 7662; the introspection_endpoint of the
// discovery document, or Introspection.Endpoint), with token_type_hint
// access_token and client_secret_basic authentication. A JWT is still
// validated locally, and never introspected. The answer is judged as
// strictly as a JWT: active must be true (else ErrInactive); token_type,
// if present, Bearer; iss equal to Issuer, aud containing Audience, exp
// required, exp, nbf and iat with ClockSkew, and the required scopes,
// from scope. ClaimsFromContext, RequireScopes and HasScope then behave
// as for a JWT (the answer's active member is not among the claims).
//
// Answers are cached, keyed by SHA-256 of the token (the token itself is
// never kept, nor logged): an active token's answer for
// IntrospectionCacheTTL (30 s by default) and never past its exp, an
// inactive one's for at most 5 seconds, so that a client retrying a bad
// token costs the token service one request every 5 seconds. The cache
// holds at most IntrospectionCacheSize answers (10 000 by default); when
// it is full, the answer that would expire first goes. However many
// requests carry the same uncached token at once, there is one
// introspection (a single flight); and at most MaxIntrospectionsInFlight
// (64) introspections run at once, so that a flood of made-up tokens does
// not open as many requests at the token service: beyond that, a request
// waits for one to end as long as its context allows, then is answered
// 503.
//
// So a revoked reference token keeps working for up to
// IntrospectionCacheTTL after its revocation: that is the price of not
// asking the token service on every request. Lower it where revocation
// must bite sooner.
//
// When the endpoint cannot answer (unreachable, a timeout of 10 seconds,
// a 5xx, an answer that is not RFC 7662, or a 401 because the API's own
// credentials are wrong, which is logged at Error level), the token may
// be fine: Validate returns ErrIntrospectionFailed, Middleware answers
// 503 with Retry-After, and nothing is cached.
//
// # Speed
//
// With a cached key, Validate costs a few percent more than the signature
// verification alone (see BenchmarkValidate and BenchmarkVerifyRaw): it
// parses the compact JWS and the claims itself, in one strict pass each,
// and verifies with crypto/rsa, crypto/ecdsa and crypto/ed25519 directly.
package jwtauth
