package main

import (
	"log/slog"

	"github.com/signetid/signet/internal/config"
	"github.com/signetid/signet/internal/grant"
	"github.com/signetid/signet/internal/introspect"
	"github.com/signetid/signet/internal/ratelimit"
	"github.com/signetid/signet/internal/revocation"
	"github.com/signetid/signet/storage"
)

// apiLimiter is the rate limiter of the token, introspection and
// revocation endpoints (rateLimits): per address in the server's chain,
// per client and failed authentication through the client authenticator.
// With a database that counts failures across instances (PostgreSQL's),
// the failures are counted there.
func (a *app) apiLimiter(cfg *config.Config, db storage.Store, logger *slog.Logger) *ratelimit.Limiter {
	rl := cfg.RateLimits
	var failures *ratelimit.Failures
	if f := rl.ClientAuthFailures; f.MaxFailures > 0 {
		var shared ratelimit.FailureStore
		if s, ok := db.(ratelimit.FailureStore); ok {
			shared = s
		}
		failures = ratelimit.NewFailures(ratelimit.FailureOptions{
			MaxFailures: f.MaxFailures, Window: f.Window, Store: shared, Now: a.now, Logger: logger,
		})
	}
	return ratelimit.New(ratelimit.Options{
		Paths:     []string{grant.Path, introspect.Path, revocation.Path},
		PerIP:     rate(rl.TokenPerIP),
		PerClient: rate(rl.TokenPerClient),
		Failures:  failures,
		ClientIP:  clientIP(cfg.TrustProxy),
		Now:       a.now,
	})
}

// rate is a configured rate as ratelimit takes it.
func rate(r config.Rate) ratelimit.Rate {
	return ratelimit.Rate{PerSecond: r.Rate, Burst: r.Burst}
}
