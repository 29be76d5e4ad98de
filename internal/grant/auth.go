package grant

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/secret"
)

// Authentication methods, as discovery names them.
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthSecretPost    = "client_secret_post"
	AuthPrivateKeyJWT = "private_key_jwt"
)

// AuthMethods lists the supported methods for discovery.
var AuthMethods = []string{AuthSecretBasic, AuthSecretPost, AuthPrivateKeyJWT}

// dummyHash is verified against when the client is unknown, so that an
// unknown client takes as long to refuse as a wrong secret.
var dummyHash, _ = secret.Parse(secret.Hash(secret.Generate()))

// authenticate identifies and authenticates the client of req, by exactly
// one method (RFC 6749 §2.3). issuer is the request's issuer, which a
// client assertion's aud must name.
func (e *Endpoint) authenticate(ctx context.Context, req *Request, issuer string) (*client.Client, string, *oauth.Error) {
	methods := 0
	for _, used := range []bool{req.HasBasic, req.ClientSecret != "", req.Assertion != "" || req.AssertionType != ""} {
		if used {
			methods++
		}
	}
	switch {
	case methods > 1:
		return nil, "", oauth.Errorf(oauth.InvalidRequest, "the client used more than one authentication method; use exactly one of client_secret_basic, client_secret_post and private_key_jwt (RFC 6749 §2.3)")
	case req.HasBasic:
		if req.ClientID != "" && req.ClientID != req.BasicID {
			return nil, "", oauth.Errorf(oauth.InvalidRequest, "client_id in the body differs from the one in the Authorization header")
		}
		c, err := e.checkSecret(ctx, req.BasicID, req.BasicSecret, true)
		return c, AuthSecretBasic, err
	case req.ClientSecret != "":
		if req.ClientID == "" {
			return nil, "", oauth.ClientError(false, "client_secret was sent without client_id")
		}
		c, err := e.checkSecret(ctx, req.ClientID, req.ClientSecret, false)
		return c, AuthSecretPost, err
	case req.Assertion != "" || req.AssertionType != "":
		c, err := e.checkAssertion(ctx, req, issuer)
		return c, AuthPrivateKeyJWT, err
	}
	return nil, "", oauth.ClientError(false, "the client did not authenticate: use client_secret_basic, client_secret_post or private_key_jwt")
}

// failedSecret is the one answer to every failed secret: which part was
// wrong is for the log, not for whoever is guessing.
func failedSecret(basic bool) *oauth.Error {
	return oauth.ClientError(basic, "client authentication failed: unknown client, or wrong or expired secret")
}

func (e *Endpoint) checkSecret(ctx context.Context, id, presented string, basic bool) (*client.Client, *oauth.Error) {
	c, err := e.Clients.Client(ctx, id)
	if errors.Is(err, client.ErrUnknown) {
		dummyHash.Verify(presented)
		e.log(ctx, "client authentication failed", logattr.String("client_id", id), slog.String("reason", err.Error()))
		return nil, failedSecret(basic)
	} else if err != nil {
		return nil, storageError(err)
	}
	now := e.now()
	matched, expired := false, false
	for _, s := range c.Secrets {
		if s.Hash.Verify(presented) {
			if !s.Expires.IsZero() && !now.Before(s.Expires) {
				expired = true
				continue
			}
			matched = true
		}
	}
	if !matched {
		reason := "wrong secret"
		switch {
		case expired:
			reason = "expired secret"
		case len(c.Secrets) == 0:
			reason = "the client has no secret (it uses private_key_jwt)"
		}
		e.log(ctx, "client authentication failed", logattr.String("client_id", id), slog.String("reason", reason))
		return nil, failedSecret(basic)
	}
	return c, nil
}

func (e *Endpoint) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Endpoint) log(ctx context.Context, msg string, attrs ...slog.Attr) {
	if e.Logger != nil {
		e.Logger.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
	}
}
