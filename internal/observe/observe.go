// Package observe is what Signet reports of the acts that matter to
// operators: a token issued or refused, a client that failed to
// authenticate, a key loaded or rotated, a login, a consent, a logout, a
// change made through the CLI. The code that acts (the token endpoint,
// sign-in, the key ring, the CLI) reports an Event to an Observer; the
// audit log (internal/audit) and the metrics (internal/metrics) are
// observers, so that both see the same acts, named once.
//
// An Event never carries a secret, a token, a password or an assertion:
// the reporting code puts only names, identifiers and outcomes in it.
package observe

import (
	"context"
	"log/slog"
)

// The names of events: dotted, the thing and then what happened to it.
const (
	TokenIssued      = "token.issued"
	TokenRefused     = "token.refused"
	ClientAuthFailed = "client.auth_failed"
	KeyLoaded        = "key.loaded"
	KeyRotated       = "key.rotated"
	KeyRetired       = "key.retired"
	KeyRevoked       = "key.revoked"
	LoginSucceeded   = "login.succeeded"
	LoginFailed      = "login.failed"
	LoginLockedOut   = "login.locked_out"
	ConsentGiven     = "consent.given"
	ConsentRevoked   = "consent.revoked"
	Logout           = "logout"
	ClientChanged    = "client.changed"
	ScopeChanged     = "scope.changed"
	ResourceChanged  = "resource.changed"
	UserChanged      = "user.changed"
	ProviderChanged  = "provider.changed"
)

// Names are every event's name, for configurations that choose among them
// (audit.exclude).
var Names = []string{
	TokenIssued, TokenRefused, ClientAuthFailed,
	KeyLoaded, KeyRotated, KeyRetired, KeyRevoked,
	LoginSucceeded, LoginFailed, LoginLockedOut,
	ConsentGiven, ConsentRevoked, Logout,
	ClientChanged, ScopeChanged, ResourceChanged, UserChanged, ProviderChanged,
}

// Success is the Result of an act that succeeded; a refused one has the
// OAuth error code (invalid_client, invalid_grant, ...) or a short reason.
const Success = "success"

// Event is one act. Fields that do not apply are empty.
type Event struct {
	// Name is one of the names above.
	Name string
	// Result is Success or the reason it failed (an OAuth error code).
	Result string
	// Client is the client's id (as sent, when it failed to authenticate).
	Client string
	// Subject is the user's subject, or the name of the thing a CLI
	// change was made to.
	Subject string
	// GrantType is the token request's grant_type.
	GrantType string
	// Scopes are the scopes granted, or asked for when refused.
	Scopes []string
	// KeyID and Alg are the signing key's kid and algorithm.
	KeyID, Alg string
	// Remote is the client's address as the server sees it.
	Remote string
	// Detail says more, for people (the error's description); never a
	// secret.
	Detail string
	// Attrs are anything else of the event's own (the operating system
	// user and host of a CLI change, the fields changed).
	Attrs []slog.Attr
}

// Observer is told of events. Observe must not keep e after it returns,
// and must be quick: it runs on the request's path.
type Observer interface {
	Observe(ctx context.Context, e *Event)
}

// Func is an Observer that is a function.
type Func func(ctx context.Context, e *Event)

// Observe calls f.
func (f Func) Observe(ctx context.Context, e *Event) { f(ctx, e) }

// Discard observes nothing; code given a nil Observer uses it.
var Discard Observer = discard{}

type discard struct{}

func (discard) Observe(context.Context, *Event) {}

// Multi tells every observer of obs, in order, skipping nil ones.
func Multi(obs ...Observer) Observer {
	var list []Observer
	for _, o := range obs {
		if _, none := o.(discard); o != nil && !none {
			list = append(list, o)
		}
	}
	switch len(list) {
	case 0:
		return Discard
	case 1:
		return list[0]
	}
	return multi(list)
}

type multi []Observer

func (m multi) Observe(ctx context.Context, e *Event) {
	for _, o := range m {
		o.Observe(ctx, e)
	}
}

// Or returns o, or Discard when o is nil.
func Or(o Observer) Observer {
	if o == nil {
		return Discard
	}
	return o
}
