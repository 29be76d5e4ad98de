package cors

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// An allowed origin's preflight is answered and its requests get its
// origin back (and the exposed headers); another origin gets only Vary; a
// request without Origin gets nothing; a nil policy or one without origins
// passes everything through.
func TestPolicy(t *testing.T) {
	t.Parallel()
	p := New(func(o string) bool { return o == "https://app.example.com" }, Options{Methods: []string{"GET", "POST"}, Headers: []string{"Authorization"}, Expose: []string{"WWW-Authenticate"}})
	next := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }
	h := p.Wrap(next)
	do := func(method, origin, reqMethod string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/x", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if reqMethod != "" {
			r.Header.Set("Access-Control-Request-Method", reqMethod)
		}
		w := httptest.NewRecorder()
		h(w, r)
		return w
	}
	w := do("OPTIONS", "https://app.example.com", "POST")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Methods") != "GET, POST" || w.Header().Get("Access-Control-Allow-Headers") != "Authorization" ||
		w.Header().Get("Access-Control-Max-Age") != "600" || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("preflight: %d %v", w.Code, w.Header())
	}
	w = do("GET", "https://app.example.com", "")
	if w.Code != http.StatusTeapot || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" || w.Header().Get("Access-Control-Expose-Headers") != "WWW-Authenticate" {
		t.Errorf("allowed GET: %d %v", w.Code, w.Header())
	}
	w = do("OPTIONS", "https://evil.example", "POST")
	if w.Code != http.StatusTeapot || w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") != "Origin" {
		t.Errorf("other origin: %d %v", w.Code, w.Header())
	}
	if w = do("GET", "", ""); len(w.Header()) != 0 {
		t.Errorf("no origin: %v", w.Header())
	}
	var nilPolicy *Policy
	if nilPolicy.Headers(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) || New(nil, Options{}).Wrap(next) == nil {
		t.Error("a nil policy")
	}
}
