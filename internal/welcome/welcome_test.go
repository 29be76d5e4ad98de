package welcome_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/welcome"
)

func TestDevelopmentCurl(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ file, want string }{
		{"signet-data/development-client-secret", `curl -s -u signet-dev:"$(cat signet-data/development-client-secret)" -d grant_type=client_credentials -d scope=dev-api http://localhost:5000/connect/token`},
		{"/tmp/my data/secret", `"$(cat '/tmp/my data/secret')"`},
		{"/tmp/it's/secret", `"$(cat '/tmp/it'\''s/secret')"`},
		{"/tmp/$(rm -rf ~)/secret", `"$(cat '/tmp/$(rm -rf ~)/secret')"`},
	} {
		got := welcome.DevelopmentCurl("http://localhost:5000/connect/token", &welcome.Development{ClientID: "signet-dev", Scope: "dev-api", SecretFile: tt.file})
		if !strings.Contains(got, tt.want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.file, got, tt.want)
		}
	}
}

// The page lists the endpoints the mounted packages described: the
// discovery document first, then the others by metadata name; and shows
// the development command only when a token endpoint is mounted.
func TestPageListsMountedEndpoints(t *testing.T) {
	t.Parallel()
	dev := &welcome.Development{ClientID: "signet-dev", Scope: "dev-api", SecretFile: "secret"}
	for name, tt := range map[string]struct {
		meta endpoint.Metadata
		want []string
		curl bool
	}{
		"all": {
			meta: endpoint.Metadata{DiscoveryPath: "/.well-known/openid-configuration", Paths: map[string]string{
				"token_endpoint": "/connect/token", "jwks_uri": "/.well-known/openid-configuration/jwks", "userinfo_endpoint": "/connect/userinfo",
			}},
			want: []string{
				"Discovery https://a.example/.well-known/openid-configuration",
				"JWKS https://a.example/.well-known/openid-configuration/jwks",
				"Token https://a.example/connect/token",
				"userinfo_endpoint https://a.example/connect/userinfo",
			},
			curl: true,
		},
		"no token endpoint": {
			meta: endpoint.Metadata{DiscoveryPath: "/.well-known/openid-configuration", Paths: map[string]string{"jwks_uri": "/jwks"}},
			want: []string{"Discovery https://a.example/.well-known/openid-configuration", "JWKS https://a.example/jwks"},
		},
		"nothing": {},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := welcome.New(welcome.Options{Development: dev})
			e.SetMetadata(tt.meta)
			routes := e.Routes()
			if len(routes) != 1 || routes[0].Path != welcome.Path || routes[0].Kind != endpoint.Page {
				t.Fatalf("routes %+v", routes)
			}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			w := httptest.NewRecorder()
			routes[0].Handler.ServeHTTP(w, r.WithContext(endpoint.WithIssuer(r.Context(), "https://a.example")))
			page := html.UnescapeString(w.Body.String())
			var got []string
			for _, m := range regexp.MustCompile(`<td data-label="Endpoint">([^<]*)</td><td data-label="URL"><a href="[^"]*"><code>([^<]*)</code>`).FindAllStringSubmatch(page, -1) {
				got = append(got, m[1]+" "+m[2])
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("endpoints:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if hasCurl := strings.Contains(page, "curl -s"); hasCurl != tt.curl {
				t.Errorf("development command shown: %v, want %v", hasCurl, tt.curl)
			}
		})
	}
}
