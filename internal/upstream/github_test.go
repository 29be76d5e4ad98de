package upstream_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signetid/signet/internal/upstream"
)

const (
	ghClient   = "Iv1.testclient"
	ghSecret   = "gh-secret-never-printed"
	ghRedirect = "https://signet.test/signin/github/callback"
	ghToken    = "gho_accesstoken-never-printed"
)

type ghEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// ghServer is a small OAuth 2.0 server speaking GitHub's shapes: the
// authorize redirect, a token endpoint that answers errors with 200 and an
// error member, and /user and /user/emails that want GitHub's headers.
type ghServer struct {
	srv *httptest.Server

	mu        sync.Mutex
	codes     map[string]string // code → PKCE challenge
	emails    []ghEmail
	apiStatus int           // when set, /user answers it
	apiDelay  time.Duration // before /user answers
	userJSON  string
}

func newGHServer(t *testing.T) *ghServer {
	t.Helper()
	g := &ghServer{codes: map[string]string{}, userJSON: `{"login":"octocat","id":583231,"name":"The Octocat","avatar_url":"https://avatars.example/u/583231"}`,
		emails: []ghEmail{{"other@example.com", false, true}, {"octocat@github.example", true, true}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != ghClient || q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != ghRedirect || q.Has("nonce") {
			http.Error(w, "bad authorize request", http.StatusBadRequest)
			return
		}
		g.mu.Lock()
		code := fmt.Sprintf("code%d", len(g.codes))
		g.codes[code] = q.Get("code_challenge")
		g.mu.Unlock()
		http.Redirect(w, r, ghRedirect+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Accept") != "application/json" {
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			fmt.Fprint(w, "error=not_json")
			return
		}
		g.mu.Lock()
		challenge, ok := g.codes[r.PostFormValue("code")]
		delete(g.codes, r.PostFormValue("code"))
		g.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		switch {
		case r.PostFormValue("client_id") != ghClient || r.PostFormValue("client_secret") != ghSecret:
			fmt.Fprint(w, `{"error":"incorrect_client_credentials","error_description":"The client_id and/or client_secret passed are incorrect."}`)
		case !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge:
			fmt.Fprint(w, `{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.","error_uri":"https://docs.github.com/"}`)
		default:
			fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","scope":"read:user,user:email"}`, ghToken)
		}
	})
	api := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer "+ghToken || r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message":"Bad credentials","status":"401"}`)
			return false
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		return true
	}
	mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		status, delay, body := g.apiStatus, g.apiDelay, g.userJSON
		g.mu.Unlock()
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		if !api(w, r) {
			return
		}
		if status != 0 {
			w.WriteHeader(status)
			fmt.Fprint(w, `{"message":"failure"}`)
			return
		}
		fmt.Fprint(w, body)
	})
	mux.HandleFunc("GET /user/emails", func(w http.ResponseWriter, r *http.Request) {
		if !api(w, r) {
			return
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		json.NewEncoder(w).Encode(g.emails)
	})
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

func (g *ghServer) set(f func(*ghServer)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f(g)
}

func newGitHub(t testing.TB, g *ghServer, opts ...upstream.Option) *upstream.GitHubProvider {
	t.Helper()
	p, err := upstream.NewGitHub(upstream.Config{Name: "github", ClientID: ghClient, ClientSecret: ghSecret, RedirectURI: ghRedirect},
		append([]upstream.Option{upstream.AllowInsecureLoopback(), upstream.WithGitHubEndpoints(upstream.GitHubEndpoints{
			Authorize: g.srv.URL + "/login/oauth/authorize", Token: g.srv.URL + "/login/oauth/access_token",
			User: g.srv.URL + "/user", Emails: g.srv.URL + "/user/emails",
		})}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ghAuthorize runs Start and follows the authorization URL as a browser.
func ghAuthorize(t *testing.T, p *upstream.GitHubProvider) (upstream.Kept, url.Values) {
	t.Helper()
	authURL, kept, err := p.Start(t.Context(), upstream.StartOptions{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if kept.Nonce != "" || len(kept.State) != 43 || len(kept.Verifier) != 43 {
		t.Fatalf("kept: nonce %d, state %d, verifier %d characters", len(kept.Nonce), len(kept.State), len(kept.Verifier))
	}
	u, _ := url.Parse(authURL)
	if s := u.Query().Get("scope"); s != "read:user user:email" {
		t.Errorf("scope %q", s)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return kept, loc.Query()
}

func TestGitHubHappyPath(t *testing.T) {
	t.Parallel()
	g := newGHServer(t)
	p := newGitHub(t, g)
	kept, q := ghAuthorize(t, p)
	res, err := p.Finish(t.Context(), kept, q)
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	if res.Identity != (upstream.Identity{Issuer: "https://github.com", Subject: "583231"}) {
		t.Errorf("identity %+v", res.Identity)
	}
	c := res.Claims
	if c.PreferredUsername != "octocat" || c.Name != "The Octocat" || c.Email != "octocat@github.example" || !c.EmailVerified || c.Picture == "" {
		t.Errorf("claims %+v", c)
	}
	if res.Tokens.AccessToken != ghToken {
		t.Errorf("access token not returned")
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("signed in", "result", res, "tokens", res.Tokens, "kept", kept)
	out := buf.String() + fmt.Sprintf("%v %+v %#v %v", res, res, res.Tokens, kept)
	for _, secret := range []string{ghToken, ghSecret, kept.State, kept.Verifier} {
		if strings.Contains(out, secret) {
			t.Errorf("a secret was printed: %s", out)
		}
	}
	// The code was spent: the same callback again is GitHub's 200 + error.
	_, err = p.Finish(t.Context(), kept, q)
	var ue *upstream.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "bad_verification_code" || !ue.AtTokenEndpoint {
		t.Errorf("replayed code: %v", err)
	}
}

func TestGitHubRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		setup func(*ghServer)
		query func(url.Values)
		want  error
	}{
		{name: "state from another browser", query: func(q url.Values) { q.Set("state", "another-browsers-state") }, want: upstream.ErrState},
		{name: "no state", query: func(q url.Values) { q.Del("state") }, want: upstream.ErrState},
		{name: "API 401", setup: func(g *ghServer) { g.apiStatus = http.StatusUnauthorized }, want: upstream.ErrInvalid},
		{name: "API 502", setup: func(g *ghServer) { g.apiStatus = http.StatusBadGateway }, want: upstream.ErrUnavailable},
		{name: "user id not a number", setup: func(g *ghServer) { g.userJSON = `{"login":"x","id":"12a"}` }, want: upstream.ErrInvalid},
		{name: "user id missing", setup: func(g *ghServer) { g.userJSON = `{"login":"x"}` }, want: upstream.ErrInvalid},
		{name: "wrong verifier", query: func(q url.Values) {}, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newGHServer(t)
			if tc.setup != nil {
				g.set(tc.setup)
			}
			p := newGitHub(t, g)
			kept, q := ghAuthorize(t, p)
			if tc.query != nil {
				tc.query(q)
			}
			if tc.want == nil { // a verifier that is not the one Start made
				kept.Verifier = strings.Repeat("a", 43)
			}
			res, err := p.Finish(t.Context(), kept, q)
			var ue *upstream.UpstreamError
			switch {
			case err == nil:
				t.Fatalf("signed in %+v", res.Identity)
			case tc.want == nil && !errors.As(err, &ue):
				t.Fatalf("got %v, want GitHub's error", err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), ghToken) || strings.Contains(err.Error(), ghSecret) {
				t.Errorf("a secret is in the error: %v", err)
			}
		})
	}
}

func TestGitHubCallbackError(t *testing.T) {
	t.Parallel()
	g := newGHServer(t)
	p := newGitHub(t, g)
	kept, _ := ghAuthorize(t, p)
	q := url.Values{"state": {kept.State}, "error": {"access_denied"}, "error_description": {"The user has denied your application access."}}
	_, err := p.Finish(t.Context(), kept, q)
	var ue *upstream.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "access_denied" || ue.AtTokenEndpoint {
		t.Fatalf("got %v", err)
	}
}

func TestGitHubBadClientSecret(t *testing.T) {
	t.Parallel()
	g := newGHServer(t)
	p, err := upstream.NewGitHub(upstream.Config{Name: "github", ClientID: ghClient, ClientSecret: "wrong", RedirectURI: ghRedirect},
		upstream.AllowInsecureLoopback(), upstream.WithGitHubEndpoints(upstream.GitHubEndpoints{
			Authorize: g.srv.URL + "/login/oauth/authorize", Token: g.srv.URL + "/login/oauth/access_token",
			User: g.srv.URL + "/user", Emails: g.srv.URL + "/user/emails",
		}))
	if err != nil {
		t.Fatal(err)
	}
	kept, q := ghAuthorize(t, p)
	_, err = p.Finish(t.Context(), kept, q)
	var ue *upstream.UpstreamError
	if !errors.As(err, &ue) || ue.Code != "incorrect_client_credentials" || !ue.AtTokenEndpoint {
		t.Fatalf("got %v", err)
	}
}

func TestGitHubEmails(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		emails []ghEmail
	}{
		{"unverified primary", []ghEmail{{"verified-other@example.com", false, true}, {"octocat@github.example", true, false}}},
		{"no primary", []ghEmail{{"a@example.com", false, true}, {"b@example.com", false, true}}},
		{"none", []ghEmail{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := newGHServer(t)
			g.set(func(g *ghServer) { g.emails = tc.emails })
			p := newGitHub(t, g)
			kept, q := ghAuthorize(t, p)
			res, err := p.Finish(t.Context(), kept, q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Claims.Email != "" || res.Claims.EmailVerified || res.Claims.All["email"] != nil {
				t.Errorf("email %q (verified %v) kept", res.Claims.Email, res.Claims.EmailVerified)
			}
			if res.Identity.Subject != "583231" {
				t.Errorf("subject %q", res.Identity.Subject)
			}
		})
	}
}

func TestGitHubSlowAPITimesOut(t *testing.T) {
	t.Parallel()
	g := newGHServer(t)
	g.set(func(g *ghServer) { g.apiDelay = 5 * time.Second })
	p := newGitHub(t, g, upstream.Timeout(300*time.Millisecond))
	kept, q := ghAuthorize(t, p)
	start := time.Now()
	_, err := p.Finish(t.Context(), kept, q)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v, bound 300ms", took)
	}
	if !errors.Is(err, upstream.ErrUnavailable) {
		t.Fatalf("got %v, want unavailable", err)
	}
}

func TestNewGitHubRefuses(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]upstream.Config{
		"no secret":       {Name: "github", ClientID: ghClient, RedirectURI: ghRedirect},
		"no name":         {ClientID: ghClient, ClientSecret: ghSecret, RedirectURI: ghRedirect},
		"bad scope":       {Name: "github", ClientID: ghClient, ClientSecret: ghSecret, RedirectURI: ghRedirect, Scopes: []string{"a b"}},
		"relative return": {Name: "github", ClientID: ghClient, ClientSecret: ghSecret, RedirectURI: "/callback"},
	} {
		if _, err := upstream.NewGitHub(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// http endpoints off loopback, or without the option, are refused.
	cfg := upstream.Config{Name: "github", ClientID: ghClient, ClientSecret: ghSecret, RedirectURI: ghRedirect}
	if _, err := upstream.NewGitHub(cfg, upstream.WithGitHubEndpoints(upstream.GitHubEndpoints{
		Authorize: "http://127.0.0.1/a", Token: "http://127.0.0.1/t", User: "http://127.0.0.1/u", Emails: "http://127.0.0.1/e",
	})); err == nil {
		t.Error("http endpoints accepted without AllowInsecureLoopback")
	}
	if _, err := upstream.NewGitHub(cfg); err != nil {
		t.Errorf("defaults: %v", err)
	}
}
