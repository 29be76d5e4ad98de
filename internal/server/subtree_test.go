package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/server"
)

// tree has a subtree route /tree/ and an exact route below it.
type tree struct{}

func (tree) Describe(*endpoint.Metadata) {}

func (tree) Routes() []endpoint.Route {
	say := func(s string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, s+" "+r.URL.Path+" "+endpoint.Issuer(r.Context()))
		})
	}
	return []endpoint.Route{
		{Method: http.MethodGet, Path: "/tree/", Subtree: true, Handler: say("subtree"), Kind: endpoint.Page},
		{Method: http.MethodGet, Path: "/tree/exact", Handler: say("exact"), Kind: endpoint.Page},
	}
}

// TestSubtreeRoute: a Subtree route serves the paths below it that no
// exact route has, through the chain (the issuer is known), and answers
// other methods with 405; paths beside it are not its.
func TestSubtreeRoute(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(server.New(server.Options{Issuer: "https://id.example", Endpoints: []endpoint.Endpoint{tree{}}}))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/tree/corp", 200, "subtree /tree/corp https://id.example"},
		{"GET", "/tree/corp/callback", 200, "subtree /tree/corp/callback https://id.example"},
		{"GET", "/tree/", 200, "subtree /tree/ https://id.example"},
		{"GET", "/tree/exact", 200, "exact /tree/exact https://id.example"},
		{"POST", "/tree/corp", 405, ""},
		{"GET", "/treetop", 404, ""},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || tc.body != "" && string(b) != tc.body {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, b, tc.status, tc.body)
		}
	}
}
