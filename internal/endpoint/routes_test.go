package endpoint_test

import (
	"net/http"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
)

// TestAPIRoutes: a route per method, in order, then the catch-all that
// answers every other method, all API routes on the one path.
func TestAPIRoutes(t *testing.T) {
	t.Parallel()
	h := http.NotFoundHandler()
	routes := endpoint.APIRoutes("/connect/x", h, nil, http.MethodPost, http.MethodOptions)
	want := []string{http.MethodPost, http.MethodOptions, ""}
	if len(routes) != len(want) {
		t.Fatalf("got %d routes, want %d", len(routes), len(want))
	}
	for i, rt := range routes {
		if rt.Method != want[i] || rt.Path != "/connect/x" || rt.Kind != endpoint.API || rt.Handler == nil {
			t.Errorf("route %d = %+v, want method %q on /connect/x, kind API", i, rt, want[i])
		}
	}
}
