package userinfo_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/server"
	"github.com/signetid/signet/internal/testsupport"
	"github.com/signetid/signet/internal/tokens"
	"github.com/signetid/signet/internal/userinfo"
	"github.com/signetid/signet/storage"
	"github.com/signetid/signet/storage/memory"
)

// A reference access token works at userinfo as its JWT would, until it
// expires or is revoked.
func TestUserInfoReferenceToken(t *testing.T) {
	t.Parallel()
	clock := testsupport.NewClock(time.Now())
	e := newEnv(t, memory.New(memory.Options{Now: clock.Now}), clock, newRing(t, "RS256"))
	verifier := oauth2.GenerateVerifier()
	a := e.exchangeAs("ref", e.code("ref", webRedirect, verifier, "openid", "profile", "offline_access"), verifier)
	at := a.str("access_token")
	if a.status != http.StatusOK || at == "" || strings.Contains(at, ".") {
		t.Fatalf("code exchange of a reference client: %d %v, want a reference access token", a.status, a.body)
	}
	info := e.userinfo(at)
	if info.status != http.StatusOK || info.str("sub") != "alice-id" || info.str("name") != "Alice Liddell" {
		t.Fatalf("userinfo with a reference token: %d %v", info.status, info.body)
	}
	if info.str("email") != "" {
		t.Errorf("userinfo answered email for a token without the email scope: %v", info.body)
	}

	// Unknown: a well-formed handle that was never issued.
	wantError(t, "unknown reference token", e.userinfo(strings.Repeat("A", 43)), http.StatusUnauthorized, userinfo.InvalidToken, "unknown")

	// Revoked with its family (what the revocation endpoint does for its
	// refresh token).
	ref, err := e.tokens.LookupReference(e.ctx, at, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.DeleteGrants(e.ctx, storage.PersistedGrantFilter{FamilyID: ref.FamilyID}); err != nil {
		t.Fatal(err)
	}
	wantError(t, "revoked reference token", e.userinfo(at), http.StatusUnauthorized, userinfo.InvalidToken, "revoked")

	// Expired.
	a = e.exchangeAs("ref", e.code("ref", webRedirect, verifier, "openid"), verifier)
	at = a.str("access_token")
	if e.userinfo(at).status != http.StatusOK {
		t.Fatalf("second reference token refused")
	}
	clock.Advance(2 * time.Hour)
	wantError(t, "expired reference token", e.userinfo(at), http.StatusUnauthorized, userinfo.InvalidToken, "expired")
}

type failingReferences struct{}

func (failingReferences) LookupReference(context.Context, string, time.Time) (tokens.Reference, error) {
	return tokens.Reference{}, errors.New("database is locked")
}

// A store that fails is the server's trouble, not the token's: 503 with
// Retry-After, not 401.
func TestUserInfoReferenceStoreFails(t *testing.T) {
	t.Parallel()
	ring := newRing(t, "RS256")
	h := server.New(server.Options{Issuer: "https://id.example.com", Endpoints: []endpoint.Endpoint{
		userinfo.New(userinfo.Options{Verifier: ring, Users: memory.New(memory.Options{}), References: failingReferences{}}),
	}})
	r := httptest.NewRequest(http.MethodGet, "https://id.example.com"+userinfo.Path, nil)
	r.Header.Set("Authorization", "Bearer "+strings.Repeat("A", 43))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), "temporarily_unavailable") {
		t.Errorf("userinfo with a failing store: %d %v %s, want 503 temporarily_unavailable with Retry-After", w.Code, w.Header(), w.Body)
	}
	if strings.Contains(w.Body.String(), "database is locked") {
		t.Errorf("the store's error reached the client: %s", w.Body)
	}
}
