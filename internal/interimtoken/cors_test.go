package interimtoken_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/interimtoken"
	"github.com/signetid/signet/internal/server"
)

// The token endpoint answers browsers of the origins its clients list
// (AllowedCorsOrigins), and no other.
func TestTokenCORS(t *testing.T) {
	t.Parallel()
	token := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"x"}`)
	})
	srv := server.New(server.Options{Issuer: "https://auth.example.com", Endpoints: []endpoint.Endpoint{
		&interimtoken.Endpoint{Token: token, AllowedOrigin: func(o string) bool { return o == "https://app.example.com" }},
	}})
	do := func(method, origin string, preflight bool) *httptest.ResponseRecorder {
		var body *strings.Reader
		if method == http.MethodPost {
			body = strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode())
		} else {
			body = strings.NewReader("")
		}
		r := httptest.NewRequest(method, "https://auth.example.com/connect/token", body)
		if method == http.MethodPost {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if preflight {
			r.Header.Set("Access-Control-Request-Method", "POST")
			r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}

	w := do(http.MethodOptions, "https://app.example.com", true)
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		w.Header().Get("Access-Control-Allow-Methods") != "POST" || w.Header().Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" ||
		w.Header().Get("Vary") != "Origin" {
		t.Errorf("preflight from an allowed origin: %d %v", w.Code, w.Header())
	}
	w = do(http.MethodPost, "https://app.example.com", false)
	if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" || w.Header().Get("Vary") != "Origin" {
		t.Errorf("token request from an allowed origin: %d %v %s", w.Code, w.Header(), w.Body)
	}
	for _, origin := range []string{"https://evil.example.com", "https://app.example.com.evil.example", "null", "https://APP.example.com"} {
		w = do(http.MethodOptions, origin, true)
		if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Code == http.StatusNoContent {
			t.Errorf("preflight from %s: %d %v", origin, w.Code, w.Header())
		}
		w = do(http.MethodPost, origin, false)
		if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") != "Origin" {
			t.Errorf("token request from %s: %v", origin, w.Header())
		}
	}
	w = do(http.MethodPost, "", false)
	if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") != "" {
		t.Errorf("token request without Origin: %d %v", w.Code, w.Header())
	}
}

// What the chain refuses before the endpoint runs (a host that makes no
// issuer) is an RFC 6749 error, as JSON.
func TestRefuseIsJSON(t *testing.T) {
	t.Parallel()
	srv := server.New(server.Options{Endpoints: []endpoint.Endpoint{&interimtoken.Endpoint{Token: http.NotFoundHandler()}}})
	r := httptest.NewRequest(http.MethodPost, interimtoken.Path, nil)
	r.Host = "bad host"
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusBadRequest || body["error"] != "invalid_request" || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("%d %q %s (%v)", w.Code, w.Header().Get("Content-Type"), w.Body, err)
	}
}
