package grant

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkClientCredentials is the whole token request in process: parse,
// authenticate (client_secret_basic), build the claims, sign (RS256-2048,
// the development key) and encode the response.
func BenchmarkClientCredentials(b *testing.B) {
	f := newFixture(b)
	body := url.Values{"grant_type": {"client_credentials"}, "scope": {"api1"}}.Encode()
	auth := ""
	{
		r := httptest.NewRequest(http.MethodPost, "/connect/token", nil)
		basic("app", f.secret)(r)
		auth = r.Header.Get("Authorization")
	}
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/connect/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		f.endpoint.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
