package signin

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/signetid/signet/internal/logattr"
	"github.com/signetid/signet/internal/observe"
	"github.com/signetid/signet/internal/users"
)

// The results of failed sign-ins (observe.Event.Result).
const (
	resultInvalidCredentials = "invalid_credentials"
	resultWrongFactor        = "wrong_factor"
	resultLockedOut          = "locked_out"
	resultThrottled          = "throttled"
	resultPasskeyRefused     = "passkey_refused"
	resultProviderRefused    = "provider_refused"
)

// report tells the observer of an act of sign-in: subject is the user
// (when known), clientID the application signed in to.
func (e *Endpoint) report(r *http.Request, name, result, subject, clientID string, attrs ...slog.Attr) {
	if e.obs == observe.Discard {
		return
	}
	remote := remoteAddr(r)
	if e.opts.ClientIP != nil {
		remote = e.opts.ClientIP(r)
	}
	e.obs.Observe(r.Context(), &observe.Event{Name: name, Result: result, Subject: subject, Client: clientID, Remote: remote, Attrs: attrs})
}

// reportFactorFailure reports a refused password or second factor:
// login.locked_out for a locked account, else login.failed with result.
// username is what was typed, for a password (the user may not exist).
func (e *Endpoint) reportFactorFailure(r *http.Request, err error, result, subject, clientID, username, method string) {
	name := observe.LoginFailed
	var locked *users.LockedOutError
	if errors.As(err, &locked) || errors.Is(err, users.ErrLockedOut) {
		name, result = observe.LoginLockedOut, resultLockedOut
	}
	attrs := []slog.Attr{slog.String("method", method)}
	if username != "" {
		attrs = append(attrs, logattr.String("username", username))
	}
	e.report(r, name, result, subject, clientID, attrs...)
}
