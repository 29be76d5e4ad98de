package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/server"
)

// The token endpoint answers browsers of the origins its clients list
// (AllowedCorsOrigins), and no other.
func TestTokenCORS(t *testing.T) {
	t.Parallel()
	srv := newServer(t, server.Options{Issuer: "https://auth.example.com", TokenOrigin: func(o string) bool { return o == "https://app.example.com" }})
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
			r.SetBasicAuth("app", appSecret)
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
