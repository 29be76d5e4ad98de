package discovery_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/discovery"
	"github.com/signetid/signet/internal/endpoint"
)

// keys is a fake key set.
type keys struct {
	jwks func() ([]byte, string)
	algs func() []string
}

func (k keys) JWKS() ([]byte, string)      { return k.jwks() }
func (k keys) SigningAlgorithms() []string { return k.algs() }

func staticKeys() keys {
	return keys{
		jwks: func() ([]byte, string) { return []byte(`{"keys":[]}`), `"k1"` },
		algs: func() []string { return []string{"ES256"} },
	}
}

// serve mounts e as the server would (Describe, SetMetadata with what
// others add, Routes) and serves r for issuer.
func serve(t *testing.T, e *discovery.Endpoint, others func(*endpoint.Metadata), r *http.Request, issuer string) *httptest.ResponseRecorder {
	t.Helper()
	var m endpoint.Metadata
	e.Describe(&m)
	if others != nil {
		others(&m)
	}
	e.SetMetadata(m)
	for _, rt := range e.Routes() {
		if rt.Path == r.URL.Path && rt.Method == r.Method {
			w := httptest.NewRecorder()
			rt.Handler.ServeHTTP(w, r.WithContext(endpoint.WithIssuer(r.Context(), issuer)))
			return w
		}
	}
	t.Fatalf("no route for %s %s", r.Method, r.URL.Path)
	return nil
}

// The document lists the paths the mounted endpoints described, under the
// request's issuer, and their lists; nothing of an endpoint not mounted.
func TestDocumentListsWhatIsDescribed(t *testing.T) {
	t.Parallel()
	userinfo := func(m *endpoint.Metadata) {
		m.SetPath("userinfo_endpoint", "/connect/userinfo")
		m.Claims = append(m.Claims, "sub", "name")
	}
	for name, tt := range map[string]struct {
		others func(*endpoint.Metadata)
		want   map[string]any
	}{
		"discovery alone": {want: map[string]any{"jwks_uri": "https://a.example/.well-known/openid-configuration/jwks", "claims_supported": []any{}}},
		"with userinfo": {others: userinfo, want: map[string]any{
			"jwks_uri":          "https://a.example/.well-known/openid-configuration/jwks",
			"userinfo_endpoint": "https://a.example/connect/userinfo",
			"claims_supported":  []any{"sub", "name"},
		}},
		"with an endpoint's own lists": {others: func(m *endpoint.Metadata) {
			m.SetPath("revocation_endpoint", "/connect/revocation")
			m.AppendList("revocation_endpoint_auth_methods_supported", "client_secret_basic", "none")
			m.AppendList("revocation_endpoint_auth_methods_supported", "none", "private_key_jwt")
		}, want: map[string]any{
			"jwks_uri":            "https://a.example/.well-known/openid-configuration/jwks",
			"revocation_endpoint": "https://a.example/connect/revocation",
			"revocation_endpoint_auth_methods_supported": []any{"client_secret_basic", "none", "private_key_jwt"},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := discovery.New(discovery.Options{Keys: staticKeys(), Scopes: func() ([]string, int64) { return []string{"api1"}, 1 }})
			w := serve(t, e, tt.others, httptest.NewRequest(http.MethodGet, discovery.Path, nil), "https://a.example/")
			var doc map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			var paths []string
			for k := range doc {
				if strings.HasSuffix(k, "_endpoint") || strings.HasSuffix(k, "_uri") {
					paths = append(paths, k)
				}
			}
			for k, v := range tt.want {
				if g, w := must(json.Marshal(doc[k])), must(json.Marshal(v)); string(g) != string(w) {
					t.Errorf("%s = %s, want %s", k, g, w)
				}
				if i := slices.Index(paths, k); i >= 0 {
					paths = slices.Delete(paths, i, i+1)
				}
			}
			if len(paths) != 0 {
				t.Errorf("%v are listed, but no endpoint described them", paths)
			}
			if doc["issuer"] != "https://a.example/" || doc["scopes_supported"].([]any)[0] != "api1" || doc["id_token_signing_alg_values_supported"].([]any)[0] != "ES256" {
				t.Errorf("document %v", doc)
			}
		})
	}
}

// The document is encoded once per issuer, scope version and key set: a
// new scope version or key set is seen at once, and otherwise the keys'
// algorithms are not asked for again.
func TestDocumentCache(t *testing.T) {
	t.Parallel()
	version, etag, asked := int64(1), `"k1"`, 0
	k := keys{
		jwks: func() ([]byte, string) { return []byte(`{"keys":[]}`), etag },
		algs: func() []string { asked++; return []string{"RS256"} },
	}
	scopes := []string{"api1"}
	e := discovery.New(discovery.Options{Keys: k, Scopes: func() ([]string, int64) { return scopes, version }})
	get := func() string {
		return serve(t, e, nil, httptest.NewRequest(http.MethodGet, discovery.Path, nil), "https://a.example").Body.String()
	}
	first := get()
	if get() != first || asked != 1 {
		t.Fatalf("asked for the algorithms %d times for two requests", asked)
	}
	scopes, version = []string{"api1", "api2"}, 2
	if body := get(); !strings.Contains(body, `"scopes_supported":["api1","api2"]`) {
		t.Errorf("after a scope change: %s", body)
	}
	etag = `"k2"`
	get()
	if asked != 3 {
		t.Errorf("asked for the algorithms %d times, want 3 (first, new scopes, new keys)", asked)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
