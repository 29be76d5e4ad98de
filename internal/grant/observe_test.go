package grant

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/signetid/signet/internal/observe"
)

// recorder keeps the events it observes, copied.
type recorder struct {
	mu     sync.Mutex
	events []observe.Event
}

func (r *recorder) Observe(_ context.Context, e *observe.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, *e)
}

func (r *recorder) take() []observe.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

// Each token request is one event: token.issued with the client, grant
// type, scopes and signing key; token.refused with the OAuth error code;
// and a client that failed to authenticate is client.auth_failed too,
// with the client id as sent and never the secret.
func TestObserved(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := newFixture(t, func(_ *fixture, o *Options) { o.Observer = rec })
	kid := ring(t).Signer().ID

	f.post(url.Values{"grant_type": {"client_credentials"}, "scope": {"api2"}}, basic("app", f.secret))
	got := rec.take()
	if len(got) != 1 {
		t.Fatalf("events %+v", got)
	}
	if e := got[0]; e.Name != observe.TokenIssued || e.Result != "" || e.Client != "app" || e.GrantType != "client_credentials" ||
		!slices.Equal(e.Scopes, []string{"api2"}) || e.KeyID != kid || e.Alg != "RS256" || e.Remote == "" {
		t.Errorf("issued: %+v", e)
	}

	wrong := "not-the-secret-" + f.secret[:8]
	f.post(url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}, basic("app", wrong))
	got = rec.take()
	if len(got) != 2 || got[0].Name != observe.ClientAuthFailed || got[1].Name != observe.TokenRefused {
		t.Fatalf("events %+v", got)
	}
	for _, e := range got {
		if e.Result != "invalid_client" || e.Client != "app" || strings.Contains(e.Detail, wrong) || strings.Contains(e.Detail, f.secret) {
			t.Errorf("%s: %+v", e.Name, e)
		}
	}
	if !slices.Equal(got[1].Scopes, []string{"api1"}) || got[1].GrantType != "client_credentials" {
		t.Errorf("refused: %+v", got[1])
	}

	// An authenticated client refused: token.refused alone.
	f.post(url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}}, basic("app", f.secret))
	got = rec.take()
	if len(got) != 1 || got[0].Name != observe.TokenRefused || got[0].Result != "invalid_scope" || got[0].Client != "app" {
		t.Errorf("events %+v", got)
	}

	// An assertion's sub is the client as sent.
	claims := f.goodClaims()
	claims["aud"] = "https://elsewhere.example.com"
	f.post(assertionForm(f.assertion(claims)))
	got = rec.take()
	if len(got) != 2 || got[0].Name != observe.ClientAuthFailed || got[0].Client != "jwt-app" {
		t.Errorf("events %+v", got)
	}

	// A request that is not even parsed is still one refusal.
	f.post(url.Values{"grant_type": {"client_credentials"}}, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") })
	got = rec.take()
	if len(got) != 1 || got[0].Name != observe.TokenRefused || got[0].Result != "invalid_request" {
		t.Errorf("events %+v", got)
	}
}
