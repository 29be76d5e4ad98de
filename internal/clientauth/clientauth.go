package clientauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/secret"
	"github.com/signetid/signet/storage"
)

// Method is a client authentication method, as discovery names it
// (token_endpoint_auth_methods_supported, RFC 8414 §2).
type Method string

// The methods Signet implements.
const (
	SecretBasic   Method = "client_secret_basic"
	SecretPost    Method = "client_secret_post"
	PrivateKeyJWT Method = "private_key_jwt"
	// None is a public client's: its client_id alone.
	None Method = "none"
)

// Authenticator authenticates clients, for every endpoint that needs to
// know which client calls it (token, introspection, revocation, end
// session, and authorize for a public client's none). Its fields are read
// on each request and must not change while it serves.
type Authenticator struct {
	Clients    Clients
	Replay     ReplayCache
	RemoteKeys *RemoteKeys
	Now        func() time.Time
	// Logger hears each failed authentication and why (the client only
	// hears that it failed); nil: no log.
	Logger *slog.Logger
	// StorageTimeout bounds how long a request waits for the database (the
	// replay cache); default 5 seconds.
	StorageTimeout time.Duration
	// IssuerConfigured is whether the issuer passed to Authenticate is the
	// configured one rather than derived from each request. Without it
	// private_key_jwt is refused: the request's Host (or X-Forwarded-Host)
	// would choose the audience an assertion is checked against.
	IssuerConfigured bool
	// StrictAssertionAudience accepts a client assertion only when its aud
	// is the issuer, as one string (draft-ietf-oauth-rfc7523bis); false
	// accepts the token endpoint's URL too, and arrays, except for
	// assertions typed client-authentication+jwt.
	StrictAssertionAudience bool
	// EndpointPath, when set, is the path of the endpoint this
	// Authenticator serves other than the token endpoint (/connect/introspect):
	// without StrictAssertionAudience, an assertion's aud may be that
	// endpoint's URL too, as RFC 7523 §3 lets a client name the endpoint it
	// calls.
	EndpointPath string
	// Limits, when set, slows callers: asked before each authentication,
	// told of each failure, and asked after each success of a client that
	// proved who it is (a public client's id proves nothing, so a bucket
	// of its own would let anyone empty it).
	Limits Limits

	// onVerify, set by tests, sees each key a signature is verified with,
	// and each hash (secret.Hashed) a secret is verified against.
	onVerify func(key any)
}

// dummyHash is verified against when the client is unknown, so that an
// unknown client takes as long to refuse as a wrong secret.
var dummyHash, _ = secret.Parse(secret.Hash(secret.Generate()))

// Authenticate identifies and authenticates the client whose request sent
// cr, by exactly one method (RFC 6749 §2.3), which must be one of accepted.
// issuer is the request's issuer, which a client assertion's aud must name.
// It returns the client and the method it used, or the OAuth error to
// answer (invalid_client, 401, for every failed authentication).
func (a *Authenticator) Authenticate(ctx context.Context, cr *Credentials, issuer string, accepted []Method) (*client.Client, Method, *oauth.Error) {
	if a.Limits == nil {
		return a.authenticate(ctx, cr, issuer, accepted)
	}
	if err := a.Limits.Before(ctx); err != nil {
		return nil, "", err
	}
	c, m, err := a.authenticate(ctx, cr, issuer, accepted)
	if err != nil {
		if err.Code == oauth.InvalidClient {
			a.Limits.Failed(ctx)
		}
		return c, m, err
	}
	if m != None {
		// Each endpoint has its own buckets: revoking does not spend
		// what a client may get tokens with.
		if err := a.Limits.Authenticated(ctx, a.EndpointPath+" "+c.ID); err != nil {
			return nil, "", err
		}
	}
	return c, m, nil
}

// Limits are the rate limits client authentication applies
// (internal/ratelimit's Limiter); the caller's address is in ctx.
type Limits interface {
	// Before refuses an authentication from an address that failed too
	// often.
	Before(ctx context.Context) *oauth.Error
	// Failed counts a failed authentication.
	Failed(ctx context.Context)
	// Authenticated refuses a client over its rate; key is its id after
	// the endpoint's path (EndpointPath, "" for the token endpoint).
	Authenticated(ctx context.Context, key string) *oauth.Error
}

func (a *Authenticator) authenticate(ctx context.Context, cr *Credentials, issuer string, accepted []Method) (*client.Client, Method, *oauth.Error) {
	assertion := cr.Assertion != "" || cr.AssertionType != ""
	methods := 0
	for _, used := range []bool{cr.HasBasic, cr.ClientSecret != "", assertion} {
		if used {
			methods++
		}
	}
	var m Method
	switch {
	case methods > 1:
		return nil, "", oauth.Errorf(oauth.InvalidRequest, "the client used more than one authentication method; use exactly one of %s (RFC 6749 §2.3)", list(accepted, "and"))
	case cr.HasBasic:
		m = SecretBasic
	case cr.ClientSecret != "":
		m = SecretPost
	case assertion:
		m = PrivateKeyJWT
	case cr.ClientID != "" && slices.Contains(accepted, None):
		c, err := a.checkPublic(ctx, cr.ClientID, accepted)
		return c, None, err
	default:
		return nil, "", notAuthenticated(accepted)
	}
	if !slices.Contains(accepted, m) {
		return nil, "", oauth.ClientError(m == SecretBasic, "%s is not accepted here; use %s", m, list(accepted, "or"))
	}
	var c *client.Client
	var err *oauth.Error
	switch m {
	case SecretBasic:
		if cr.ClientID != "" && cr.ClientID != cr.BasicID {
			return nil, "", oauth.Errorf(oauth.InvalidRequest, "client_id in the body differs from the one in the Authorization header")
		}
		c, err = a.checkSecret(ctx, cr.BasicID, cr.BasicSecret, true)
	case SecretPost:
		if cr.ClientID == "" {
			return nil, "", oauth.ClientError(false, "client_secret was sent without client_id")
		}
		c, err = a.checkSecret(ctx, cr.ClientID, cr.ClientSecret, false)
	case PrivateKeyJWT:
		c, err = a.checkAssertion(ctx, cr, issuer)
	}
	return c, m, err
}

// notAuthenticated is the answer to a request that did not authenticate
// (or sent only the client_id of a client that is not public).
func notAuthenticated(accepted []Method) *oauth.Error {
	return oauth.ClientError(false, "the client did not authenticate: use %s", list(accepted, "or"))
}

// list names the methods that prove who the client is, for a description:
// "a, b or c". None is left out: the answer to a client that sent only
// its client_id is the same whether it is unknown or not public.
func list(methods []Method, conj string) string {
	var names []string
	for _, m := range methods {
		if m != None {
			names = append(names, string(m))
		}
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}

// checkPublic authenticates a public client by its client_id alone; a
// client that is not public is refused as a request without
// authentication is, whether it exists or not.
func (a *Authenticator) checkPublic(ctx context.Context, id string, accepted []Method) (*client.Client, *oauth.Error) {
	c, err := a.Clients.Client(ctx, id)
	switch {
	case errors.Is(err, client.ErrUnknown):
		a.log(ctx, "client authentication failed", logattr.String("client_id", id), slog.String("reason", err.Error()+"; it sent only its client_id"))
		return nil, notAuthenticated(accepted)
	case err != nil:
		return nil, storageError(err)
	case !c.Public:
		a.log(ctx, "client authentication failed", logattr.String("client_id", id), slog.String("reason", "it sent only its client_id, and it is not a public client (requireClientSecret: false)"))
		return nil, notAuthenticated(accepted)
	}
	return c, nil
}

// failedSecret is the one answer to every failed secret: which part was
// wrong is for the log, not for whoever is guessing.
func failedSecret(basic bool) *oauth.Error {
	return oauth.ClientError(basic, "client authentication failed: unknown client, or wrong or expired secret")
}

func (a *Authenticator) checkSecret(ctx context.Context, id, presented string, basic bool) (*client.Client, *oauth.Error) {
	c, err := a.Clients.Client(ctx, id)
	if errors.Is(err, client.ErrUnknown) {
		a.verifySecret(dummyHash, presented)
		a.log(ctx, "client authentication failed", logattr.String("client_id", id), slog.String("reason", err.Error()))
		return nil, failedSecret(basic)
	} else if err != nil {
		return nil, storageError(err)
	}
	now := a.now()
	matched, expired := false, false
	for _, s := range c.Secrets {
		if a.verifySecret(s.Hash, presented) {
			if !s.Expires.IsZero() && !now.Before(s.Expires) {
				expired = true
				continue
			}
			matched = true
		}
	}
	if len(c.Secrets) == 0 {
		// As for an unknown client: a client without a secret (it uses
		// private_key_jwt, or is public) must not answer sooner, or the
		// time tells that it exists.
		a.verifySecret(dummyHash, presented)
	}
	if !matched {
		reason := "wrong secret"
		switch {
		case expired:
			reason = "expired secret"
		case len(c.Secrets) == 0 && c.UsesKeys():
			reason = "the client has no secret (it uses private_key_jwt)"
		case len(c.Secrets) == 0:
			reason = "the client has no secret"
		}
		a.log(ctx, "client authentication failed", logattr.String("client_id", id), slog.String("reason", reason))
		return nil, failedSecret(basic)
	}
	return c, nil
}

// verifySecret reports whether presented is the secret h is the hash of.
func (a *Authenticator) verifySecret(h secret.Hashed, presented string) bool {
	if a.onVerify != nil {
		a.onVerify(h)
	}
	return h.Verify(presented)
}

// storageError turns a storage failure into the OAuth error: the database
// being unavailable is temporarily_unavailable (503, retry later), which a
// client can act on; anything else is a server_error.
func storageError(err error) *oauth.Error {
	// Canceled: the client went away; nobody reads the answer, and it is no
	// server error.
	if errors.Is(err, storage.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &oauth.Error{Code: oauth.TemporarilyUnavailable, Status: http.StatusServiceUnavailable,
			Description: "the database is unavailable; retry in a few seconds", Cause: err}
	}
	return oauth.AsError(err)
}

func (a *Authenticator) storageTimeout() time.Duration {
	if a.StorageTimeout > 0 {
		return a.StorageTimeout
	}
	return 5 * time.Second
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Authenticator) log(ctx context.Context, msg string, attrs ...slog.Attr) {
	if a.Logger != nil {
		a.Logger.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
	}
}
