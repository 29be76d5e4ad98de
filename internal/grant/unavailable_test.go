package grant

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/signetid/signet/internal/testsupport/stores"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/storage"
)

// downGrants is a grant store whose database is away: every write and
// read fails as the PostgreSQL adapter fails with the server stopped.
type downGrants struct{ tokens.GrantStore }

var errDown = fmt.Errorf("postgres: create grant: %w: dial tcp 127.0.0.1:5432: connect: connection refused", storage.ErrUnavailable)

func (downGrants) CreateGrant(context.Context, storage.PersistedGrant) error { return errDown }
func (downGrants) ConsumeGrant(context.Context, string, time.Time) (storage.PersistedGrant, error) {
	return storage.PersistedGrant{}, errDown
}
func (downGrants) RotateGrant(context.Context, string, storage.PersistedGrant, time.Time) (storage.PersistedGrant, error) {
	return storage.PersistedGrant{}, errDown
}

// With the database away, the grants that need it answer 503
// temporarily_unavailable with Retry-After, never a 500: a reference
// token, a code redemption and a refresh; a JWT from client_credentials
// needs no database and is still issued.
func TestGrantsDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	sf := newSignInFixture(t, stores.All[0].OpenOne(t, nil))
	code := sf.code(t, "openid", "api1", "offline_access")
	res := sf.redeem(code)
	rt, _ := res.body["refresh_token"].(string)
	if res.status != http.StatusOK || rt == "" {
		t.Fatalf("redemption with the database up: %d %v", res.status, res.body)
	}
	code = sf.code(t, "openid", "api1")
	sf.tokens.Grants = downGrants{sf.tokens.Grants}

	if res := sf.post(url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}, basic("app", sf.secret)); res.status != http.StatusOK {
		t.Errorf("client_credentials (JWT) with the database away: %d %v, want 200", res.status, res.body)
	}
	sf.web.GrantTypes = append(sf.web.GrantTypes, "client_credentials")
	sf.web.ReferenceTokens = true
	for name, res := range map[string]result{
		"reference token":    sf.post(url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}, basic("web", sf.secret)),
		"code redemption":    sf.redeem(code),
		"refresh token used": sf.refresh(rt, ""),
	} {
		if res.status != http.StatusServiceUnavailable || res.body["error"] != "temporarily_unavailable" || res.header.Get("Retry-After") == "" {
			t.Errorf("%s with the database away: %d %v, Retry-After %q; want 503 temporarily_unavailable with Retry-After",
				name, res.status, res.body, res.header.Get("Retry-After"))
		}
	}
}
