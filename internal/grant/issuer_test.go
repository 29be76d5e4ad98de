package grant

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Without a configured issuer, a private_key_jwt client is refused even
// with a valid assertion, whatever aud the request's Host would make
// right; the answer is the one every failed assertion gets, and the log
// tells the operator to set issuer. Secrets still work.
func TestAssertionRefusedWithoutConfiguredIssuer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	logs := &lockedBuffer{}
	f.endpoint.Logger = slog.New(slog.NewTextHandler(logs, nil))
	f.endpoint.IssuerConfigured = false
	// The issuer derived from a forged Host, and the aud made for it.
	f.endpoint.Issuer = func(*http.Request) string { return "https://forged.example" }
	for _, aud := range []string{"https://forged.example/connect/token", "https://forged.example"} {
		c := f.goodClaims()
		c["aud"] = aud
		res := f.post(assertionForm(f.assertion(c)))
		if res.status != http.StatusUnauthorized || res.body["error"] != "invalid_client" {
			t.Fatalf("aud %s: status %d %v; want 401 invalid_client", aud, res.status, res.body)
		}
		if desc := res.body["error_description"]; desc != failedAssertion().Description {
			t.Errorf("description %q; want the one of every failed assertion, %q", desc, failedAssertion().Description)
		}
	}
	out := logs.String()
	if n := strings.Count(out, "level=ERROR"); n != 2 || !strings.Contains(out, "client_id=jwt-app") || !strings.Contains(out, "set issuer to the URL clients use") {
		t.Errorf("want two ERROR lines naming jwt-app and saying to set issuer:\n%s", out)
	}
	// A wrong signature is no reason for the error: it is the client's own
	// requests that the operator must hear about.
	before := strings.Count(logs.String(), "level=ERROR")
	if res := f.post(assertionForm(otherKeyAssertion(t, f))); res.status != http.StatusUnauthorized {
		t.Fatalf("another key's assertion: %d", res.status)
	}
	if strings.Count(logs.String(), "level=ERROR") != before {
		t.Errorf("an assertion that does not verify wrote an ERROR line:\n%s", logs.String())
	}
	if res := f.post(url.Values{"grant_type": {"client_credentials"}}, basic("app", f.secret)); res.status != http.StatusOK {
		t.Errorf("a secret without a configured issuer: %d %v", res.status, res.body)
	}
}
