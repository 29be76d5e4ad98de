package clientauth

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/signetid/signet/internal/oauth"
)

// fakeLimits records what the Authenticator told it, and refuses as its
// fields say.
type fakeLimits struct {
	refuseBefore, refuseClient bool
	calls                      []string
}

func (l *fakeLimits) Before(context.Context) *oauth.Error {
	l.calls = append(l.calls, "before")
	if l.refuseBefore {
		return &oauth.Error{Code: oauth.SlowDown, Status: http.StatusTooManyRequests}
	}
	return nil
}

func (l *fakeLimits) Failed(context.Context) { l.calls = append(l.calls, "failed") }

func (l *fakeLimits) Authenticated(_ context.Context, key string) *oauth.Error {
	l.calls = append(l.calls, "client "+key)
	if l.refuseClient {
		return &oauth.Error{Code: oauth.SlowDown, Status: http.StatusTooManyRequests}
	}
	return nil
}

// TestLimits: the Authenticator asks its Limits before authenticating,
// reports invalid_client (and only that) as a failure, and takes a
// confidential client's token after it proved who it is, never a public
// client's.
func TestLimits(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		cr                         Credentials
		endpointPath               string
		refuseBefore, refuseClient bool
		wantCode                   string
		wantCalls                  []string
	}{
		"good secret":         {cr: Credentials{ClientID: "app", ClientSecret: "SECRET"}, wantCalls: []string{"before", "client  app"}},
		"at introspection":    {cr: Credentials{ClientID: "app", ClientSecret: "SECRET"}, endpointPath: "/connect/introspect", wantCalls: []string{"before", "client /connect/introspect app"}},
		"client over rate":    {cr: Credentials{ClientID: "app", ClientSecret: "SECRET"}, refuseClient: true, wantCode: oauth.SlowDown, wantCalls: []string{"before", "client  app"}},
		"wrong secret":        {cr: Credentials{ClientID: "app", ClientSecret: "wrong"}, wantCode: oauth.InvalidClient, wantCalls: []string{"before", "failed"}},
		"address blocked":     {cr: Credentials{ClientID: "app", ClientSecret: "SECRET"}, refuseBefore: true, wantCode: oauth.SlowDown, wantCalls: []string{"before"}},
		"public client":       {cr: Credentials{ClientID: "spa"}, wantCalls: []string{"before"}},
		"two methods":         {cr: Credentials{ClientID: "app", ClientSecret: "x", Assertion: "y"}, wantCode: oauth.InvalidRequest, wantCalls: []string{"before"}},
		"unknown client":      {cr: Credentials{ClientID: "nobody", ClientSecret: "x"}, wantCode: oauth.InvalidClient, wantCalls: []string{"before", "failed"}},
		"no authentication":   {cr: Credentials{}, wantCode: oauth.InvalidClient, wantCalls: []string{"before", "failed"}},
		"disabled public one": {cr: Credentials{ClientID: "off-spa"}, wantCode: oauth.InvalidClient, wantCalls: []string{"before", "failed"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			if tc.cr.ClientSecret == "SECRET" {
				tc.cr.ClientSecret = f.secret
			}
			l := &fakeLimits{refuseBefore: tc.refuseBefore, refuseClient: tc.refuseClient}
			f.auth.Limits = l
			f.auth.EndpointPath = tc.endpointPath
			c, _, err := f.check(tc.cr)
			switch {
			case tc.wantCode == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantCode != "" && (err == nil || err.Code != tc.wantCode):
				t.Fatalf("got %v, want %s", err, tc.wantCode)
			case tc.wantCode != "" && c != nil:
				t.Fatalf("refused with %s but returned client %s", err.Code, c.ID)
			}
			if !slices.Equal(l.calls, tc.wantCalls) {
				t.Errorf("limits heard %q, want %q", l.calls, tc.wantCalls)
			}
		})
	}
}
