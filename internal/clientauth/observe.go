package clientauth

import (
	"context"

	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/observe"
)

// SentID is the client id the credentials name, unverified: the Basic
// header's, the form's client_id, or an assertion's sub (read without
// verifying it). For reports of a failure only; "" when none is named.
func (cr *Credentials) SentID() string {
	switch {
	case cr.HasBasic:
		return cr.BasicID
	case cr.ClientID != "":
		return cr.ClientID
	case cr.Assertion != "":
		if _, claims, err := parseAssertion(cr.Assertion); err == nil {
			return claims.Subject
		}
	}
	return ""
}

// ReportFailure tells obs that a client failed to authenticate
// (client.auth_failed, with the OAuth error code as its result), when
// oerr is invalid_client: with the client id as sent, the method tried and
// remote, the request's address. Never the secret or the assertion.
func ReportFailure(ctx context.Context, obs observe.Observer, cr *Credentials, remote string, oerr *oauth.Error) {
	if oerr == nil || oerr.Code != oauth.InvalidClient || obs == observe.Discard {
		return
	}
	obs.Observe(ctx, &observe.Event{
		Name: observe.ClientAuthFailed, Result: oerr.Code, Client: cr.SentID(), Remote: remote, Detail: oerr.Description,
	})
}
