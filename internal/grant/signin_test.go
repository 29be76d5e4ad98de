package grant

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/signetid/signet/internal/client"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// refresh_token is allowed by the client's grant types, or by
// authorization_code with allowOfflineAccess (IdentityServer's clients
// never list it); nothing else is implied.
func TestAllowsGrant(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		types   []string
		offline bool
		gt      string
		want    bool
	}{
		{[]string{"authorization_code"}, true, "refresh_token", true},
		{[]string{"authorization_code"}, false, "refresh_token", false},
		{[]string{"client_credentials"}, true, "refresh_token", false},
		{[]string{"refresh_token"}, false, "refresh_token", true},
		{[]string{"authorization_code"}, true, "authorization_code", true},
		{[]string{"refresh_token"}, true, "authorization_code", false},
		{nil, true, "client_credentials", false},
	} {
		if got := allowsGrant(tc.types, tc.offline, tc.gt); got != tc.want {
			t.Errorf("allowsGrant(%v, offline %v, %s) = %v", tc.types, tc.offline, tc.gt, got)
		}
	}
}

type algSigner struct {
	tokens.Signer
	algs []string
}

func (s algSigner) SigningAlgorithms() []string { return s.algs }

// An ID token is signed with the first of the client's algorithms the
// ring signs with; "" (RS256) when it chose none or none fits.
func TestIDTokenAlg(t *testing.T) {
	t.Parallel()
	g := &signIn{Tokens: &tokens.Service{Signer: algSigner{algs: []string{"ES256", "RS256"}}}}
	for _, tc := range []struct {
		client []string
		want   string
	}{
		{nil, ""},
		{[]string{"PS256", "ES256"}, "ES256"},
		{[]string{"RS256", "ES256"}, "RS256"},
		{[]string{"PS256"}, ""},
	} {
		if got := g.idTokenAlg(&client.Client{IdentityTokenSigningAlgorithms: tc.client}); got != tc.want {
			t.Errorf("client %v: %q, want %q", tc.client, got, tc.want)
		}
	}
}

// tokens' refusals become invalid_grant with their description, a widened
// scope invalid_scope, anything else server_error.
func TestGrantError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		code string
	}{
		{&tokens.GrantError{Description: "the refresh token was used before", Err: storage.ErrConsumed}, oauth.InvalidGrant},
		{fmt.Errorf("wrapped: %w", &tokens.GrantError{Description: "x", Err: tokens.ErrScopeWidened}), oauth.InvalidScope},
		{errors.New("database down"), oauth.ServerError},
	} {
		oe := grantError(tc.err)
		if oe.Code != tc.code {
			t.Errorf("%v: %s, want %s", tc.err, oe.Code, tc.code)
		}
		if tc.code != oauth.ServerError && (oe.Status != 400 || oe.Description == "") {
			t.Errorf("%v: %+v", tc.err, oe)
		}
	}
}

// The client's refresh settings become tokens' policy.
func TestRefreshPolicy(t *testing.T) {
	t.Parallel()
	c := &client.Client{RefreshTokenReUse: true, RefreshTokenSliding: true, AbsoluteRefreshTokenLifetime: time.Hour, SlidingRefreshTokenLifetime: time.Minute}
	want := tokens.RefreshPolicy{Usage: tokens.ReUse, Expiration: tokens.Sliding, AbsoluteLifetime: time.Hour, SlidingLifetime: time.Minute}
	if got := refreshPolicy(c); got != want {
		t.Errorf("%+v, want %+v", got, want)
	}
	if got := refreshPolicy(&client.Client{}); got.Usage != tokens.OneTimeOnly || got.Expiration != tokens.Absolute {
		t.Errorf("defaults %+v", got)
	}
}
