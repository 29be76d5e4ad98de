package reqlimit_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signetid/signet/internal/endpoint"
	"github.com/signetid/signet/internal/oauth"
	"github.com/signetid/signet/internal/reqlimit"
)

// echo reads the body as the token endpoint does and answers 200, or the
// error ReadBody gives.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, err := oauth.ReadBody(r, 64<<10); err != nil {
		oauth.WriteError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
})

func TestLimits(t *testing.T) {
	t.Parallel()
	h := reqlimit.Limits{MaxBodyBytes: 1000, MaxParams: 5}.Middleware(endpoint.Route{
		Path: "/connect/token", Refuse: func(w http.ResponseWriter, _ *http.Request, err *oauth.Error) { oauth.WriteError(w, err) },
	}, echo)
	params := func(n int) string {
		v := make([]string, n)
		for i := range v {
			v[i] = "p" + string(rune('a'+i)) + "=1"
		}
		return strings.Join(v, "&")
	}
	for _, tc := range []struct {
		name, query, body, contentType string
		chunked                        bool
		status                         int
		desc                           string
	}{
		{name: "within", query: params(5), body: params(5), contentType: "application/x-www-form-urlencoded", status: 200},
		{name: "query over", query: params(6), status: 400, desc: "the query has more than 5 parameters"},
		{name: "form over", body: params(6), contentType: "application/x-www-form-urlencoded", status: 400, desc: "the form body has more than 5 parameters"},
		{name: "form over, chunked", body: params(6), contentType: "application/x-www-form-urlencoded; charset=utf-8", chunked: true, status: 400, desc: "the form body has more than 5 parameters"},
		{name: "json body not counted", body: strings.Repeat("&", 50), contentType: "application/json", status: 200},
		{name: "body over", body: strings.Repeat("a", 1001), contentType: "application/x-www-form-urlencoded", status: 413, desc: "the request body is over 1000 bytes"},
		{name: "body over, chunked", body: strings.Repeat("a", 1001), contentType: "application/x-www-form-urlencoded", chunked: true, status: 413, desc: "the request body is over 1000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/connect/token?"+tc.query, strings.NewReader(tc.body))
			if tc.chunked {
				r.ContentLength = -1
			}
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.desc == "" {
				return
			}
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != oauth.InvalidRequest || body.Description != tc.desc {
				t.Fatalf("body %s, want invalid_request %q", w.Body, tc.desc)
			}
		})
	}
}

func TestCountParams(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]int{"": 0, "a=1": 1, "a=1&b=2": 2, "&&a&&": 1, "a&b&c": 3} {
		if got := reqlimit.CountParams(q); got != want {
			t.Errorf("CountParams(%q) = %d, want %d", q, got, want)
		}
	}
}

// FuzzCountParams: the count is never below the values url.ParseQuery
// finds, and equals them when it parses the query without error.
func FuzzCountParams(f *testing.F) {
	for _, s := range []string{"", "a=1&b=2", "&&", "a;b", "%zz=1&b", "=&=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n := reqlimit.CountParams(q)
		v, err := url.ParseQuery(q)
		total := 0
		for _, vals := range v {
			total += len(vals)
		}
		if n < total || (err == nil && n != total) {
			t.Fatalf("CountParams(%q) = %d, ParseQuery found %d values (err %v)", q, n, total, err)
		}
	})
}
