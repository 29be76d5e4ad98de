package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/signetid/signet/internal/authorize"
	"github.com/signetid/signet/internal/catalog"
	"github.com/signetid/signet/internal/consent"
	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/passkey"
	"github.com/signetid/signet/internal/session"
	"github.com/signetid/signet/internal/signin"
	"github.com/signetid/signet/internal/signing"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/internal/userinfo"
	"github.com/signetid/signet/internal/users"
	"github.com/signetid/signet/storage"
)

// signInEndpoints makes the endpoints people sign in through: the
// authorization endpoint with its login, consent and logout pages, and
// userinfo. The token endpoint's sign-in grants are made with the token
// endpoint (newServer).
func (a *app) signInEndpoints(svc *services, db storage.Store, cat *catalog.Catalog, tok *tokens.Service, logger *slog.Logger) ([]endpoint.Endpoint, error) {
	cfg := svc.cfg
	sessions, err := session.New(db, session.Options{
		IdleLifetime:     cfg.Session.IdleLifetime,
		AbsoluteLifetime: cfg.Session.AbsoluteLifetime,
		SameSite:         cfg.Session.SameSiteMode(),
		Issuer:           endpoint.Issuer,
		Now:              a.now,
		Logger:           logger,
	})
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	hasher, err := users.NewHasher(users.HasherOptions{})
	if err != nil {
		return nil, err
	}
	auth, err := users.NewAuthenticator(db, hasher, users.Options{
		MaxFailures:   cfg.Login.MaxFailures,
		FailureWindow: cfg.Login.FailureWindow,
		Lockout:       cfg.Login.Lockout,
		Logger:        logger,
	})
	if err != nil {
		return nil, err
	}
	ring := svc.ring
	fed, err := a.federationOptions(svc, db, logger)
	if err != nil {
		return nil, err
	}
	opts := signin.Options{
		Validator: &authorize.Validator{Clients: cat, KnownScope: cat.KnownScope},
		Pending:   authorize.NewPending(db, 0),
		Sessions:  sessions,
		Users:     auth,
		Consents:  consent.New(db, a.now),
		Tokens:    tok,
		Store:     db,
		// Read (and for SQLite made) on first use, once: a server that no
		// one enrols on never writes one.
		SecretsKEK: sync.OnceValues(func() ([]byte, error) { return secretsKEK(cfg) }),
		Scope: func(name string) (signin.ScopeInfo, bool) {
			s, ok := cat.ScopeInfo(name)
			return signin.ScopeInfo(s), ok
		},
		VerifyIDTokenHint: func(ctx context.Context, token string) (signin.IDTokenHint, error) {
			return verifyIDTokenHint(ring, endpoint.Issuer(ctx), token)
		},
		ClientIP: clientIP(cfg.TrustProxy),
		Throttle: signin.ThrottleOptions{},
		RateLimits: signin.RateLimits{
			PerIP:   rate(cfg.RateLimits.LoginPerIP),
			PerUser: rate(cfg.RateLimits.LoginPerUser),
		},
		UI: signin.UI{
			ProductName:  cfg.UI.ProductName,
			Logo:         cfg.UI.Logo,
			Stylesheet:   cfg.UI.Stylesheet,
			TemplatesDir: cfg.UI.TemplatesDir,
		},
		Federation: fed,
		Now:        a.now,
		Logger:     logger,
		Observer:   svc.observer,
		Passkeys:   passkeys(db, cfg.UI.ProductName, a.now),
	}
	pages, err := signin.New(opts)
	if err != nil {
		return nil, err
	}
	info := userinfo.New(userinfo.Options{
		Verifier:          ring,
		Users:             db,
		References:        tok,
		IdentityResources: cat.IdentityResources,
		Origins:           cat.AllowedOrigin,
		Now:               a.now,
		Logger:            logger,
	})
	return []endpoint.Endpoint{pages, info}, nil
}

// passkeys is the passkey service over db.
func passkeys(db storage.Store, productName string, now func() time.Time) signin.Passkeys {
	return passkey.New(db, passkey.Options{RPName: productName, Now: now})
}

// verifyIDTokenHint reads an id_token_hint: an ID token signed by one of
// the ring's published keys for issuer. Its expiry is not checked:
// RP-Initiated Logout 1.0 §2 accepts expired ones, and the authorization
// endpoint uses only whom it names.
func verifyIDTokenHint(ring *signing.Ring, issuer, token string) (signin.IDTokenHint, error) {
	payload, _, err := ring.Verify(token)
	if err != nil {
		return signin.IDTokenHint{}, err
	}
	var c struct {
		Issuer   string          `json:"iss"`
		Subject  string          `json:"sub"`
		Audience json.RawMessage `json:"aud"`
		SID      string          `json:"sid"`
		// An access token (RFC 9068) always has client_id and scope, an
		// ID token neither: the same keys sign both, and an access token
		// names a user too.
		ClientID *json.RawMessage `json:"client_id"`
		Scope    *json.RawMessage `json:"scope"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return signin.IDTokenHint{}, fmt.Errorf("the id_token_hint's claims are not a JSON object: %w", err)
	}
	if c.ClientID != nil || c.Scope != nil {
		return signin.IDTokenHint{}, errors.New("the id_token_hint is an access token, not an ID token")
	}
	if c.Issuer != issuer {
		return signin.IDTokenHint{}, errors.New("the id_token_hint was issued by another issuer")
	}
	if c.Subject == "" {
		return signin.IDTokenHint{}, errors.New("the id_token_hint has no sub")
	}
	// An ID token's aud is the client_id, as one string or an array of
	// one (OpenID Connect Core §2); Signet issues the string.
	var aud string
	if err := json.Unmarshal(c.Audience, &aud); err != nil {
		var auds []string
		if json.Unmarshal(c.Audience, &auds) != nil || len(auds) != 1 {
			return signin.IDTokenHint{}, errors.New("the id_token_hint's aud is not one client")
		}
		aud = auds[0]
	}
	return signin.IDTokenHint{Subject: c.Subject, ClientID: aud, SessionID: c.SID}, nil
}

// clientIP is the address the login throttle counts failures by: the
// connection's, or behind a trusted proxy the address that proxy saw (the
// last of X-Forwarded-For, the one entry a client cannot forge through it,
// without the port some proxies add).
func clientIP(trustProxy bool) func(r *http.Request) string {
	return func(r *http.Request) string {
		if trustProxy {
			if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
				last := xff[len(xff)-1]
				if i := strings.LastIndexByte(last, ','); i >= 0 {
					last = last[i+1:]
				}
				ip := strings.TrimSpace(last)
				// Some proxies (Azure App Service's) add the port.
				if host, _, err := net.SplitHostPort(ip); err == nil {
					ip = host
				}
				if net.ParseIP(ip) != nil {
					return ip
				}
			}
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		return host
	}
}
