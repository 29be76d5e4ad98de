package signin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/signetid/signet/internal/federation"
	"github.com/signetid/signet/internal/upstream"
	"github.com/signetid/signet/storage"
)

// provision makes the local user of a first sign-in through s
// (autoProvision) and links it, and returns its id. Its claims are
// federation.MapClaims's; an email is kept only when the upstream says it
// verified it. Its username is the verified email, else the upstream's
// preferred_username (unless it looks like another email address), else
// <provider>:<subject>, the first one free; it
// has no password, and no preferred_username claim of its own (the
// username is that claim). When another sign-in of the same person linked first,
// that link's user is returned and the user made here removed.
func (e *Endpoint) provision(ctx context.Context, s federation.Settings, res *upstream.Result) (string, error) {
	st := e.opts.Federation.Store
	claims := federation.MapClaims(s.ClaimMappings, res.Claims.All)
	u := storage.User{}
	if v, ok := claims["name"].(string); ok {
		u.Name = v
	}
	verified, _ := claims["email_verified"].(bool)
	if v, ok := claims["email"].(string); ok && verified {
		u.Email, u.EmailVerified = v, true
	}
	preferred, _ := claims["preferred_username"].(string)
	// preferred_username is the username: kept in the claims it would
	// reach relying parties even when another user has that username.
	for _, k := range []string{"name", "email", "email_verified", "sub", "preferred_username"} {
		delete(claims, k)
	}
	if len(claims) > 0 {
		b, err := json.Marshal(claims)
		if err != nil {
			return "", err
		}
		u.Claims = b
	}
	var usernames []string
	if u.Email != "" {
		usernames = append(usernames, u.Email)
	}
	// An email-like preferred_username that is not the verified email would
	// read as an address the person owns (ceo@victim.example): not a
	// username then.
	if preferred != "" && (!strings.Contains(preferred, "@") || strings.EqualFold(preferred, u.Email)) {
		usernames = append(usernames, preferred)
	}
	usernames = append(usernames, s.Name+":"+res.Identity.Subject)
	var err error
	for _, name := range usernames {
		if u.ID, err = newUserID(); err != nil {
			return "", err
		}
		u.Username = name
		if err = storage.CheckUser(u); err != nil {
			continue
		}
		if err = st.CreateUser(ctx, u); !errors.Is(err, storage.ErrAlreadyExists) {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("make the user of %s's %q: %w", s.Name, res.Identity.Subject, err)
	}
	err = st.CreateUserLink(ctx, storage.UserLink{Issuer: res.Identity.Issuer, Subject: res.Identity.Subject, Provider: s.Name, UserID: u.ID})
	if errors.Is(err, storage.ErrAlreadyExists) {
		// The same person's other sign-in won: use its user.
		_ = st.DeleteUser(ctx, u.ID)
		l, ferr := st.FindUserLink(ctx, res.Identity.Issuer, res.Identity.Subject)
		if ferr != nil {
			return "", ferr
		}
		return l.UserID, nil
	}
	if err != nil {
		_ = st.DeleteUser(ctx, u.ID)
		return "", fmt.Errorf("link the new user to %s: %w", s.Name, err)
	}
	e.log.InfoContext(ctx, "signin: user provisioned", "sub", u.ID, "idp", s.Name)
	return u.ID, nil
}

// newUserID is a new user's subject: 128 random bits, base64url, as
// signet user add makes them.
func newUserID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
